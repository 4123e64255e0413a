"""Background jobs of Pathways (procrastinate, run by `manage.py procrastinate worker`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from procrastinate.contrib.django import app


@app.periodic(cron="0 6 * * *")  # every day at 6:00
@app.task(queue="pathways", queueing_lock="pathways_remind_follow_ups", pass_context=False)
def remind_follow_ups(timestamp: int) -> int:
    """Tell referents, in the app, of the follow-ups of outcomes due today (idempotent)."""
    from .services.outcomes import follow_ups_remind

    today = datetime.fromtimestamp(timestamp, tz=timezone.get_current_timezone()).date()
    return follow_ups_remind(today=today)


@app.periodic(cron="30 2 * * *")  # every day at 2:30
@app.task(queue="pathways", queueing_lock="pathways_anonymise_inactive", pass_context=False)
def anonymise_inactive_cases(timestamp: int) -> int:
    """Anonymise the cases without activity for ``settings.PATHWAYS_RETENTION_DAYS``."""
    from .services.gdpr import cases_anonymise_inactive  # type: ignore[import-not-found,unused-ignore]

    return cases_anonymise_inactive()  # type: ignore[no-any-return,unused-ignore]
