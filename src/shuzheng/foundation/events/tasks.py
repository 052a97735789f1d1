"""The foundation's periodic jobs (loaded by the events app at start-up).

* ``sweep_outbox`` — every ``EVENTS_SWEEP_MINUTES``: embedded mode delivers what is due
  (retries, events whose after-commit delivery never ran); distributed mode relays what
  the relay process has not (a safety net: the relay itself runs continuously).
* ``seal_audit_anchor`` — every ``AUDIT_ANCHOR_INTERVAL_MINUTES``: SM2-sign the audit
  chain head (``trust.audit.seal_anchor``; a no-op when nothing is new).
"""

import logging

from django.conf import settings

from shuzheng.foundation.events import jobs

logger = logging.getLogger("shuzheng.jobs")


@jobs.periodic(minutes=getattr(settings, "EVENTS_SWEEP_MINUTES", 1), name="events.sweep_outbox")
def sweep_outbox() -> int:
    from shuzheng.foundation.events import outbox

    if outbox.backend() == "nats":
        from shuzheng.foundation.events import broker

        return broker.relay_pending()
    total = 0
    for _ in range(50):  # bounded: at most 50 batches a minute from this job
        taken = outbox.deliver_due()
        total += taken
        if not taken:
            break
    return total


@jobs.periodic(
    minutes=getattr(settings, "AUDIT_ANCHOR_INTERVAL_MINUTES", 10), name="trust.seal_audit_anchor"
)
def seal_audit_anchor():
    from shuzheng.foundation.trust import audit

    anchor = audit.seal_anchor()
    if anchor is not None:
        logger.info("audit anchor %s sealed up to seq %s", anchor.pk, anchor.head_seq)
    return anchor.pk if anchor is not None else None


@jobs.periodic(crontab=jobs.crontab(hour="19", minute="15"), name="events.purge_delivered")
def purge_delivered() -> int:
    """Daily (03:15 Asia/Shanghai): forget events delivered more than EVENTS_RETENTION_DAYS ago."""
    from shuzheng.foundation.events import services

    return services.purge_delivered()
