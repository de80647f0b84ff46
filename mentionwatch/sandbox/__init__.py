"""Imitation servers on 127.0.0.1 that answer like the real services: the demo and the tests use them.

Feeds and pages (`web`), Slack's Web API (`slack`) and Socket Mode (`socketmode`), Google's OAuth
and Business Profile API (`google`), the Play store (`play`), App Store Connect (`appstore`) and
Trustpilot (`trustpilot`). Nothing on the product's path imports this package: only `demo` and
the tests do.
"""
