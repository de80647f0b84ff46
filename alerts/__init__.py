"""Reads the store and delivers: the planner decides once, the outbox sends to Slack and Apprise
exactly once, and the weekly report.

Stands on crawlers and pipeline; its config sections (slack, alerts, report) live in `config`.
"""
