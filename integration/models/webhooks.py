"""Webhook deliveries as stored: the untrusted payload, and how far processing got."""

from django.db import models
from django.db.models import Count, Min


class WebhookEventQuerySet(models.QuerySet):
    def pending(self):
        """Stored but not finished: `received` (queued or waiting) or `processing`."""
        return self.filter(status__in=(WebhookEvent.Status.RECEIVED, WebhookEvent.Status.PROCESSING))

    def backlog(self, now):
        """(how many events are pending, seconds the oldest has waited; 0.0 when none)."""
        row = self.pending().aggregate(n=Count("pk"), oldest=Min("received_at"))
        return row["n"], (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0

class WebhookEvent(models.Model):
    """One Sautikit webhook event, stored before anything acts on it.

    Only deliveries whose signature verified are stored, but the signature covers
    `signed_at.call_id.event` and not the body, so the rest of the payload is
    still untrusted input. The first stored delivery of an event (call_id, event, step)
    wins; later copies are duplicates, never updates. `step` sets apart the answers to a
    voice menu, which are `call.routing` events of the same call (see its help text).

    Being stored is not being done: `status` says which, and a failed event can
    be replayed from the admin or with `manage.py replay_events`.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Ignored"

    objects = WebhookEventQuerySet.as_manager()

    event = models.CharField(max_length=40, help_text="Sautikit event type, e.g. call.failed.")
    call_id = models.CharField(max_length=64, help_text="Sautikit call id the event is about.")
    step = models.CharField(
        max_length=24, blank=True, default="",
        help_text="Empty, except for a call.routing carrying the caller's menu keys: each is stored "
        "once per signing time ('digits@1767000000'), so every menu step of a call is on record "
        "while a repeated delivery of one step is a duplicate.",
    )
    raw_body = models.TextField(
        blank=True, help_text="The request body as received. Pruned after the retention period."
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True,
        help_text="received → processing → done | failed | ignored.",
    )
    attempts = models.PositiveIntegerField(default=0, help_text="How many times processing ran.")
    last_error = models.TextField(blank=True, help_text="Why the last attempt did not finish.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the event is due (again): for a waiting or retried event, its next run; for "
        "one being processed, when its worker's lease runs out (the sweep then runs it again).",
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    freshdesk_note_id = models.BigIntegerField(
        null=True, blank=True, help_text="The Freshdesk note this event added, if any."
    )
    note_requested_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Set just before the note is sent to Freshdesk, so that an interrupted "
        "attempt is reconciled instead of adding the note twice.",
    )
    flag = models.CharField(
        max_length=255, blank=True,
        help_text="Part of the event was refused as untrustworthy and the rest processed, e.g. a "
        "recording link not on Sautikit's hosts. Fix the setting and replay to undo it.",
    )

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["call_id", "event", "step"],
                                    name="one_event_per_call_type_and_step"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} {self.call_id} ({self.status})"
