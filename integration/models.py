"""What SautiDesk keeps of calls: the webhook deliveries, the calls, and their tickets."""

from django.conf import settings
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

from .accounts import freshdesk_account


class WebhookEvent(models.Model):
    """One Sautikit webhook event, stored before anything acts on it.

    Only deliveries whose signature verified are stored, but the signature covers
    `signed_at.call_id.event` and not the body, so the rest of the payload is
    still untrusted input. The first stored delivery of an event (call_id, event)
    wins; later copies are duplicates, never updates.

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
            models.UniqueConstraint(fields=["call_id", "event"], name="one_event_per_call_and_type"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.event} {self.call_id} ({self.status})"


class TicketQuerySet(models.QuerySet):
    def oldest_open_callback(self, number, opened_since=None):
        """The number's open callback ticket that has waited longest (optionally: opened since)."""
        tickets = self.filter(callback_open=True, requester_number=number)
        if opened_since is not None:
            tickets = tickets.filter(created_at__gte=opened_since)
        return tickets.order_by("created_at").first()


class CurrentAccountTickets(models.Manager.from_queryset(TicketQuerySet)):
    """Only the tickets of the Freshdesk account SautiDesk is configured for (see accounts.py).

    The default manager, so lookups, folding, the admin and the dashboard never see a ticket
    whose id belongs to another account; `Ticket.all_accounts` sees every row.
    """

    def get_queryset(self):
        return super().get_queryset().filter(account=freshdesk_account())


class Ticket(models.Model):
    """A Freshdesk ticket that SautiDesk created for a call, and its callback state."""

    objects = CurrentAccountTickets()
    all_accounts = TicketQuerySet.as_manager()

    class Kind(models.TextChoices):
        INBOUND = "inbound", "Inbound call"
        CALLBACK = "callback", "Missed call: callback"
        OUTBOUND = "outbound", "Outbound call"

    account = models.CharField(
        max_length=255, default=freshdesk_account, editable=False,
        help_text="The Freshdesk account (host) the ticket lives in: its id means nothing in another.",
    )
    freshdesk_id = models.BigIntegerField(help_text="Ticket id in its Freshdesk account.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    requester_number = models.CharField(
        max_length=32, db_index=True, help_text="The customer's number, E.164 where it parsed."
    )
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    callback_open = models.BooleanField(
        default=False, db_index=True,
        help_text="A missed call on this ticket still waits for someone to call back.",
    )
    callback_done_at = models.DateTimeField(null=True, blank=True)
    callback_done_by = models.CharField(
        max_length=150, blank=True, help_text="Agent who called back, or supervisor who closed it."
    )
    callback_done_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["callback_open", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "freshdesk_id"], name="one_row_per_freshdesk_ticket"),
        ]

    def __str__(self):
        return f"#{self.freshdesk_id} {self.get_kind_display()} {self.requester_number}"

    @property
    def freshdesk_url(self):
        """The ticket's page for agents, "" for a ticket of another account than the configured one;
        FRESHDESK_BASE_URL (the sandbox) serves the same path."""
        if self.account != freshdesk_account():
            return ""
        domain = settings.FRESHDESK_DOMAIN
        base = f"https://{domain}" if domain else settings.FRESHDESK_BASE_URL
        return f"{base}/a/tickets/{self.freshdesk_id}" if base else ""


class Call(models.Model):
    """A Sautikit call, built up from its webhook events (which may come in any order)."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Status(models.TextChoices):
        # Ordered by progress: a late event never moves a call backwards.
        RINGING = "ringing", "Ringing"
        ANSWERED = "answered", "Answered"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Missed / failed"

    call_id = models.CharField(max_length=64, unique=True, help_text="Sautikit call id.")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    from_number = models.CharField(max_length=32, help_text="Caller, E.164 where it parsed.")
    to_number = models.CharField(max_length=32, help_text="Callee, E.164 where it parsed.")
    number_unparsed = models.BooleanField(
        default=False, help_text="A number could not be read as a phone number and is kept as given."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RINGING, db_index=True)
    failure_status = models.CharField(
        max_length=32, blank=True, help_text="Sautikit's reason for a failed call, e.g. no-answer."
    )
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(
        max_length=2000, blank=True, help_text="Presigned Sautikit URL, valid 7 days from the event."
    )
    recording_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    cost_kes = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="Sautikit charge in KES."
    )
    agent = models.ForeignKey(
        "agents.AgentPhone", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls",
        help_text="Agent who took or placed the call.",
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="placed_calls", help_text="User who placed an outbound call from the softphone.",
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls",
        help_text="The Freshdesk ticket this call is logged on.",
    )
    ticket_requested_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When a ticket create for this call was sent to Freshdesk. Until the ticket is "
        "saved, that create's outcome is unknown: it may still land up to "
        "FRESHDESK_CREATE_SETTLE_SECONDS later. Empty on a call filed under another call's ticket.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["direction", "status", "started_at"])]

    def __str__(self):
        return f"{self.call_id} {self.direction} {self.from_number} → {self.to_number}"


class RoutingSettings(models.Model):
    """Supervisor-editable routing rules; a single row, which wins over BUSINESS_HOURS."""

    class BusyAction(models.TextChoices):
        VOICEMAIL = "voicemail", "Take a voicemail"
        HANGUP = "hangup", "Hang up"

    business_hours = models.CharField(
        max_length=200, blank=True,
        help_text="Africa/Nairobi time, e.g. 'mon-fri 08:00-18:00; sat 09:00-13:00' or '24/7'. "
        "Empty: the BUSINESS_HOURS setting.",
    )
    holidays = models.TextField(
        blank=True, help_text="Dates when calls are not routed to agents, one YYYY-MM-DD a line."
    )
    language = models.CharField(
        max_length=8, default="en-KE", choices=[("en-KE", "English (Kenya)"), ("sw-KE", "Kiswahili")]
    )
    greeting = models.CharField(
        max_length=300, default="Thank you for calling. Connecting you to an agent now."
    )
    closed_message = models.CharField(
        max_length=300,
        default="Thank you for calling. We are closed now. Please leave a message after the tone "
        "and we will call you back.",
    )
    busy_message = models.CharField(
        max_length=300,
        default="All our agents are busy. Please leave a message after the tone and we will call "
        "you back.",
    )
    busy_action = models.CharField(max_length=10, choices=BusyAction.choices, default=BusyAction.VOICEMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "routing settings"

    def __str__(self):
        return "Routing settings"


class Heartbeat(models.Model):
    """When a background process last showed it is alive; read by the readiness probe (/readyz).

    `beat` is written by the process that publishes the heartbeat task (celery beat),
    `worker` by the worker that runs it: if only `worker` goes stale, the workers are
    down or behind; if both do, beat is.
    """

    name = models.CharField(max_length=20, primary_key=True, help_text="beat or worker.")
    at = models.DateTimeField(help_text="Last time this process showed a heartbeat.")

    class Meta:
        # Operations' own right, apart from running the desk: grant it to the people (or give
        # Prometheus METRICS_TOKEN) who watch the service; being staff is not enough.
        permissions = [("view_metrics", "Can read the Prometheus metrics at /metrics")]

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
