"""The periodic health check of the hooks the hub registered upstream (webhooks/registration.py)."""

from __future__ import annotations

import logging

from procrastinate.job_context import JobContext

from ledgerlink.errors import LedgerlinkError
from ledgerlink.jobs.app import MAINTENANCE_QUEUE
from ledgerlink.jobs.registry import runtime_of, tasks
from ledgerlink.runtime import Runtime
from ledgerlink.webhooks import registration

log = logging.getLogger(__name__)


async def check_all(runtime: Runtime) -> dict[str, int]:
    """check_health for every integration with registrations; one failing does not stop the others."""
    counts = {"integrations": 0, "repaired": 0, "failed": 0}
    for integration_id in await registration.integrations_with_registrations(runtime):
        counts["integrations"] += 1
        try:
            repairs = await registration.check_health(runtime, integration_id)
        except LedgerlinkError as exc:
            counts["failed"] += 1
            log.warning(
                "webhook health check failed",
                extra={"integration_id": integration_id, "error": exc.message, "code": exc.code},
            )
            continue
        except Exception:
            counts["failed"] += 1
            log.exception("webhook health check failed", extra={"integration_id": integration_id})
            continue
        counts["repaired"] += sum(1 for r in repairs if r.upstream_id is not None)
    return counts


@tasks.periodic(cron="*/30 * * * *", periodic_id="webhook-registration-check")
@tasks.task(
    name="check_webhook_registrations",
    pass_context=True,
    queue=MAINTENANCE_QUEUE,
    queueing_lock="check_webhook_registrations",
)
async def check_webhook_registrations(context: JobContext, timestamp: int) -> dict[str, int]:
    return await check_all(runtime_of(context))
