"""Acting on mentions: `actions` (the one module that changes a mention's state and history),
and the front doors that call it: the Slack listener (`respond.slack`) and the web inbox
(`respond.web`).

`respond.actions` imports only the store, so the alerts room may use it too (the reaction reader);
the front doors sit above alerts and are imported by nothing but the CLI.
"""
