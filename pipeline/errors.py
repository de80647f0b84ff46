"""One exception hierarchy for the tool: the CLI turns any of these into one line and exit 1."""


class MentionwatchError(Exception):
    """Base class of every error mentionwatch reports to its user."""


class ConfigError(MentionwatchError):
    """config.yaml is missing, unreadable or invalid."""


class StoreError(MentionwatchError):
    """The database cannot be opened or upgraded."""


class DeliveryError(MentionwatchError):
    """Slack or e-mail did not accept a message; the message stays owed."""

    def __init__(self, message: str, response: object | None = None):
        super().__init__(message)
        # The raw response (e.g. slack_sdk's SlackResponse) for callers that need details.
        self.response = response


class AlreadyRunning(MentionwatchError):
    """Another run or report holds the lock."""
