"""What each click, submission and reaction does: ack at once, call respond.actions, update the alert.

Idempotent: Slack redelivers what it thinks was not received. Each click carries its own
`action_ts`, used as the action's key, so a redelivered click changes nothing (and updates
nothing); a reaction event uses its `event_id`. One log line per action says who did what.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.messages import (
    ACTION_ASSIGN,
    ACTION_DISMISS,
    ACTION_HANDLE,
    ACTION_REOPEN,
    ACTION_REPLY,
    ACTION_SNOOZE,
    ACTIONS_BLOCK_PREFIX,
)
from alerts.status import refresh_due_alerts
from pipeline.errors import MentionwatchError
from pipeline.models import AlertMessage, AlertMessageMention, Business, Mention
from respond import actions
from respond.config import RespondConfig
from respond.reactions import TRACKED_KINDS
from respond.slack.reply import (
    REPLY_CALLBACK,
    reply_view,
    send_reply,
    status_view,
    submitted_text,
)

log = logging.getLogger("respond.slack")

SNOOZE_DAYS = 1
# The alert's link button also reaches the app when clicked; it needs an ack and nothing else.
OPEN_BUTTON = re.compile(r"^open-\d+$")

Act = Callable[..., actions.Outcome]


SessionFactory = Callable[[], Session]
"""Makes a database session for one request (the listener's or the web server's engine)."""


def register(app: App, settings: RespondConfig, sessions: SessionFactory, workspace: str | None = None) -> None:
    """Attach every handler to `app`, the listener of one Slack workspace (None: the top-level
    slack:, else an agency client's own): it acts only on the mentions whose alerts go there."""
    doer = Doer(settings, sessions, workspace)
    buttons: dict[str, Act] = {
        ACTION_HANDLE: actions.handle,
        ACTION_REOPEN: actions.reopen,
        ACTION_DISMISS: actions.dismiss,
        ACTION_SNOOZE: lambda session, mention_id, by, via, key: actions.snooze(
            session, mention_id, by, via, days=SNOOZE_DAYS, key=key),
    }
    for action_id, act in buttons.items():
        app.action(action_id)(_button(doer, act))

    @app.action(ACTION_ASSIGN)
    def on_assign(ack: Any, body: dict, action: dict, client: WebClient) -> None:
        ack()
        mention_id = mention_of(action)
        by = doer.name_of(client, body.get("user") or {})
        assignee = action.get("selected_user")
        doer.run(client, mention_id, f"slack:{action.get('action_ts')}",
                 lambda session, key: actions.assign(session, mention_id, assignee, by, "slack", key=key))

    @app.action(ACTION_REPLY)
    def on_reply(ack: Any, body: dict, action: dict, client: WebClient) -> None:
        ack()
        mention_id = mention_of(action)
        with sessions() as session:
            if not doer.ours(session, mention_id):
                return
            try:
                view = reply_view(session, settings, mention_id)
            except actions.ActionError as exc:
                log.warning("slack: reply to mention %s: %s", mention_id, exc)
                return
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=view)
        except SlackApiError as exc:
            # A redelivered click: its trigger was used already (or has expired).
            log.warning("slack: cannot open the reply form for mention %s: %s", mention_id,
                        exc.response.get("error"))
            return
        log.info("slack: %s opened the reply form for mention %s", doer.name_of(client, body.get("user") or {}),
                 mention_id)

    @app.view(REPLY_CALLBACK)
    def on_reply_submitted(ack: Any, body: dict, view: dict, client: WebClient) -> None:
        text = submitted_text(view)
        if not text:
            ack(response_action="errors", errors={"reply": "Write the reply first."})
            return
        mention_id = int(view.get("private_metadata") or 0)
        if not doer.first_submission(str(view.get("id"))):
            ack()
            log.info("slack: mention %s: the same reply form again, nothing sent", mention_id)
            return
        # Slack wants the answer within 3 seconds; a platform's reply API may take longer. So the
        # form says "sending" now and shows the outcome when it is known.
        ack(response_action="update", view=status_view("Sending your reply…"))
        by = doer.name_of(client, body.get("user") or {})
        with sessions() as session:
            if not doer.ours(session, mention_id):
                doer.show(client, view, "Not sent: this mention is not one of this workspace's.")
                return
            try:
                summary = send_reply(session, settings, mention_id, text, by)
            except MentionwatchError as exc:  # refused, unreachable, not configured: said in the form
                session.rollback()
                log.warning("slack: reply to mention %s not sent: %s", mention_id, exc)
                doer.show(client, view, f"Not sent: {exc}")
                return
            session.commit()
            log.info("slack: mention %s: %s", mention_id, summary)
            doer.show(client, view, summary)
            doer.refresh(session, client, mention_id)

    @app.action(OPEN_BUTTON)
    def on_open(ack: Any) -> None:
        ack()

    @app.event("reaction_added")
    def on_reaction(body: dict, event: dict, client: WebClient) -> None:
        if str(event.get("reaction", "")).split("::")[0] != settings.slack.handled_reaction:
            return
        item = event.get("item") or {}
        if item.get("type") != "message":
            return
        with sessions() as session:
            mention_ids = session.scalars(
                select(AlertMessageMention.mention_id)
                .join(AlertMessage, AlertMessage.id == AlertMessageMention.message_id)
                .where(AlertMessage.slack_channel == item.get("channel"), AlertMessage.slack_ts == item.get("ts"),
                       AlertMessage.kind.in_(TRACKED_KINDS),
                       AlertMessage.workspace.is_(None) if workspace is None else AlertMessage.workspace == workspace)
            ).all()
        if not mention_ids:
            return
        by = doer.name_of(client, {"id": event.get("user")})
        key = f"slack-event:{body.get('event_id') or event.get('event_ts')}"
        for mention_id in mention_ids:
            doer.run(client, mention_id, key,
                     lambda session, key, mention_id=mention_id: actions.handle(session, mention_id, by, "reaction",
                                                                                key=key))


def _button(doer: Doer, act: Act) -> Callable[..., None]:
    def on_click(ack: Any, body: dict, action: dict, client: WebClient) -> None:
        ack()
        mention_id = mention_of(action)
        by = doer.name_of(client, body.get("user") or {})
        doer.run(client, mention_id, f"slack:{action.get('action_ts')}",
                 lambda session, key: act(session, mention_id, by, "slack", key=key))

    return on_click


def mention_of(action: dict) -> int:
    """The mention a button (its value) or the user picker (its block's id) is about."""
    value = action.get("value") or str(action.get("block_id", "")).removeprefix(ACTIONS_BLOCK_PREFIX)
    try:
        return int(value)
    except ValueError:
        return 0  # not ours: no mention has id 0, so the action says so


class Doer:
    """Runs one action in its own transaction, logs it, and updates the alert when it changed."""

    def __init__(self, settings: RespondConfig, sessions: SessionFactory, workspace: str | None = None):
        self.settings = settings
        self.sessions = sessions
        self.workspace = workspace
        self._names: dict[str, str] = {}
        self._submitted: set[str] = set()
        self._lock = threading.Lock()

    def first_submission(self, view_id: str) -> bool:
        """True the first time a form (its view id) is submitted: a redelivered submission sends nothing.

        A form is submitted once and then closes, so its id is a fair key; kept for the process's
        life (the replies' own bookkeeping, in respond.actions, is the durable guard).
        """
        with self._lock:
            if view_id in self._submitted:
                return False
            self._submitted.add(view_id)
            return True

    def ours(self, session: Session, mention_id: int) -> bool:
        """Whether this workspace may act on the mention: its business's alerts go to this
        workspace. A click from an agency client's workspace on another client's mention (a made-up
        button value) is refused and logged; an unknown id is left to the action to say so."""
        business = session.scalar(select(Business.name).join(Mention, Mention.business_id == Business.id)
                                  .where(Mention.id == mention_id))
        if business is None or self.settings.workspace_of(business) == self.workspace:
            return True
        log.warning("slack: mention %s is not one of this Slack workspace's: refused", mention_id)
        return False

    def run(self, client: WebClient, mention_id: int, key: str, act: Callable[..., actions.Outcome]) -> None:
        with self.sessions() as session:
            if not self.ours(session, mention_id):
                return
            try:
                outcome = act(session, key)
                session.commit()
            except actions.ActionError as exc:
                session.rollback()
                log.warning("slack: mention %s: %s", mention_id, exc)
                return
            except IntegrityError:
                # The same delivery handled at the same moment by another worker: its key is taken.
                session.rollback()
                log.info("slack: mention %s: repeated delivery, nothing changed", mention_id)
                return
            if not outcome.changed:
                log.info("slack: mention %s: %s (nothing changed)", mention_id, outcome.summary)
                return
            log.info("slack: mention %s: %s", mention_id, outcome.summary)
            self.refresh(session, client, mention_id)

    def show(self, client: WebClient, view: dict, message: str) -> None:
        """Replace an open form's content with `message` (views.update); a closed one is let be."""
        try:
            client.views_update(view_id=view.get("id"), view=status_view(message))
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.info("slack: the reply form could not show the outcome (%s)", type(exc).__name__)

    def refresh(self, session: Any, client: WebClient, mention_id: int) -> None:
        refreshed = refresh_due_alerts(session, {self.workspace: client}, self.settings, mention_ids=[mention_id])
        for problem in refreshed.problems:
            log.warning("slack: mention %s: %s (retried by the next run)", mention_id, problem)

    def name_of(self, client: WebClient, user: dict) -> str:
        """A person's name for the history: their Slack real (or display) name, else the id."""
        user_id = str(user.get("id") or "")
        if user_id in self._names:
            return self._names[user_id]
        name = user.get("username") or user.get("name") or user_id or "someone"
        if user_id:
            try:
                info = client.users_info(user=user_id).get("user") or {}
                profile = info.get("profile") or {}
                name = info.get("real_name") or profile.get("display_name") or info.get("name") or name
            except (SlackApiError, SlackClientError, OSError) as exc:
                log.info("slack: users.info for %s failed (%s); using %s", user_id, type(exc).__name__, name)
                return name  # not cached: the next action asks again
        self._names[user_id] = name
        return name
