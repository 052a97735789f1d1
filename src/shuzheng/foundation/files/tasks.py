"""Retention of uploaded files as periodic jobs (loaded by the events app at start-up)."""

from shuzheng.foundation.events import jobs


@jobs.periodic(crontab=jobs.crontab(hour="18", minute="30"), name="files.purge")
def purge_expired() -> None:
    """Daily (02:30 Asia/Shanghai = 18:30 UTC): bytes of files past retention or discarded."""
    from shuzheng.foundation.files import services

    services.purge()


@jobs.periodic(
    crontab=jobs.crontab(day_of_week="0", hour="19", minute="0"), name="files.purge_orphans"
)
def purge_orphans() -> None:
    """Weekly: blobs whose row never committed (an upload inside a rolled-back transaction)."""
    from shuzheng.foundation.files import services

    services.purge(orphans=True)
