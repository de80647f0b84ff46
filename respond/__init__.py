"""Acting on mentions: `actions` (the one module that changes a mention's state and history),
and the doors that call it: the Slack listener (`respond.slack`), the reaction reader
(`respond.reactions`, composed into each run by mentionwatch.runner) and the web inbox
(`respond.web`).

This room stands on alerts, crawlers and pipeline; only `mentionwatch` (the CLI) imports it.
"""
