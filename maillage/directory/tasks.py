"""Background jobs of the directory (procrastinate, run by `manage.py procrastinate worker`)."""

from procrastinate.contrib.django import app

from . import services


@app.periodic(cron="0 7 * * 1")  # every Monday at 7:00
@app.task(queue="directory", queueing_lock="directory_remind_stale", pass_context=False)
def remind_stale_entries(timestamp: int) -> int:
    return services.stale_entries_remind()


@app.task(queue="directory", pass_context=False)
def run_import_job(job_id: int) -> None:
    """Run an import uploaded on the import page (``importers.import_job_run``)."""
    from .importers import import_job_run

    import_job_run(job_id=job_id)
