"""Background jobs of the Indicators module (queue ``indicators``)."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.periodic(cron="15 1 * * *")  # every day at 1:15
@app.task(queue="indicators", queueing_lock="indicators_refresh", pass_context=False)
def refresh_indicators(timestamp: int) -> int:
    """Recompute the computed values and rebuild the aggregates the dashboards read."""
    from .refresh import refresh_all

    return refresh_all().aggregate_values


@app.task(queue="indicators", pass_context=False)
def generate_review(review_id: int) -> None:
    """Build a queued annual review (HTML then PDF), updating its progress."""
    from .review import review_build

    review_build(review_id)
