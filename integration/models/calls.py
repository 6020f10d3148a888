"""Calls, built up from their events, and the Freshdesk tickets they are logged on."""

from django.conf import settings
from django.db import models

from ..accounts import freshdesk_account
from ..routing import texts


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
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
        help_text="The team the caller chose in the voice menu; the ticket is in its Freshdesk group.",
    )

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
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls",
        help_text="The team the voice menu sent the caller to.",
    )
    language = models.CharField(
        max_length=8, blank=True, choices=texts.LANGUAGES,
        help_text="The language the caller heard the voice menu in (after any switch).",
    )
    menu_choice = models.CharField(
        max_length=8, blank=True,
        help_text="The key the caller chose in the voice menu, or 'none' when they chose no valid "
        "key twice and went to the default team. Empty while they have not chosen.",
    )
    menu_misses = models.PositiveSmallIntegerField(
        default=0, help_text="Menu answers with no key or a key that is not on the menu."
    )
    menu_keys_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When Sautikit signed the last menu keys taken: a step signed then or earlier "
        "(a repeated delivery) changes nothing.",
    )
    heard_message = models.BooleanField(
        default=False, help_text="The caller chose a recorded message, heard it and was not put "
        "through: no callback is owed.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["direction", "status", "started_at"])]

    def __str__(self):
        return f"{self.call_id} {self.direction} {self.from_number} → {self.to_number}"
