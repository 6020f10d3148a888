"""Data retention: finished webhook events lose their raw payload after a while.

A payload holds the customer's phone numbers (and, for `recording.ready`, a
presigned recording URL). Once an event is `done` or `ignored` nothing reads it
again except a supervisor's replay, so after WEBHOOK_PAYLOAD_RETENTION_DAYS its
`raw_body` is emptied. The row stays, with its status, attempts and last_error,
so counts, the admin history and metrics are unchanged. `failed` and pending
events keep their payload: they still need it. A pruned event is not offered for
replay (`integration.processing.replay` skips it and says why); should one run anyway, processing
fails it with "stored payload is missing or unreadable" rather than guess.

    prune_payloads()                 # uses the setting; returns how many were emptied
    prune_payloads(days=30, dry_run=True)
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import WebhookEvent

logger = logging.getLogger(__name__)

FINISHED = (WebhookEvent.Status.DONE, WebhookEvent.Status.IGNORED)
# Rows updated per statement: a first run over a large table must not hold one long lock.
BATCH = 2000


def prunable(days):
    cutoff = timezone.now() - timedelta(days=days)
    return WebhookEvent.objects.filter(status__in=FINISHED, received_at__lt=cutoff).exclude(raw_body="")


def prune_payloads(days=None, dry_run=False):
    """Empty `raw_body` of finished events older than `days`; returns how many (would be) emptied."""
    days = settings.WEBHOOK_PAYLOAD_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("retention must be at least one day")
    if dry_run:
        return prunable(days).count()
    pruned = 0
    while True:
        ids = list(prunable(days).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        # Re-check the status in the UPDATE: a replay may have reset the event meanwhile.
        pruned += WebhookEvent.objects.filter(pk__in=ids, status__in=FINISHED).update(raw_body="")
    logger.info("payloads pruned", extra={"pruned": pruned, "retention_days": days})
    return pruned
