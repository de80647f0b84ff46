"""The Slack listener: slack-bolt handlers for the alert's buttons and the ✅ reaction.

`app.build_app` builds the bolt App (the same handlers whatever carries the requests);
`listen` runs it over Socket Mode or HTTP for `mentionwatch listen`; the web inbox mounts
`app.asgi_handler` at /slack/events. Every change goes through respond.actions.
"""
