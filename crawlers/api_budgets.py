"""Each platform API's allowance as its last answers left it, kept in the store for `check`.

What an answer says is read by crawlers.budget; this keeps one row per API (`api_budgets`): the
last announced allowance, and the requests made on the current UTC day.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from crawlers.budget import Budget
from crawlers.target import CrawlTarget
from pipeline.models import ApiBudget


def record_budgets(session: Session, targets: list[CrawlTarget], now: datetime) -> None:
    """Keep, per API, the last allowance its answers announced and the requests made today (UTC)."""
    today = now.astimezone(timezone.utc).date().isoformat()
    by_api: dict[str, tuple[int, Budget | None]] = {}
    for target in targets:
        if not target.api_requests and target.api_budget is None:
            continue
        api = target.source.type  # type: ignore[attr-defined]
        made, latest = by_api.get(api, (0, None))
        budget = target.api_budget
        if latest is not None and (budget is None or budget.seen_at < latest.seen_at):
            budget = latest
        by_api[api] = (made + target.api_requests, budget)
    for api, (made, budget) in by_api.items():
        row = session.get(ApiBudget, api) or ApiBudget(api=api, day=today, requests_today=0)
        if row.day != today:
            row.day, row.requests_today = today, 0
        row.requests_today = (row.requests_today or 0) + made
        if budget is not None:
            row.remaining, row.limit, row.window = budget.remaining, budget.limit, budget.window
            row.resets_at, row.seen_at = budget.resets_at, budget.seen_at
        session.add(row)
