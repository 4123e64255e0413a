"""Background jobs of the rights portal (procrastinate, run by `manage.py procrastinate worker`)."""

from procrastinate.contrib.django import app

from . import services


@app.periodic(cron="30 3 * * *")  # every day at 3:30
@app.task(queue="rights", queueing_lock="rights_purge_saved", pass_context=False)
def purge_saved_evaluations(timestamp: int) -> int:
    return services.saved_evaluations_purge()
