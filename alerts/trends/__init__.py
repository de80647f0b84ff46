"""Trends that warn: a day's mentions far above the business's own usual (a spike), and a
review page's rating falling or a burst of 1-2 star reviews (a rating drop).

They read the store and give the planner messages to queue (alerts.planner.Planner.plan_trends),
so quiet hours and the outbox apply to them as to every alert.
"""
