"""What SautiDesk keeps of calls: the webhook deliveries, the calls, and their tickets."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Min

from .routing import texts


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
        help_text="When a waiting or retried event is due; the sweep re-queues it after this.",
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

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["call_id", "event", "step"],
                                    name="one_event_per_call_type_and_step"),
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


class Ticket(models.Model):
    """A Freshdesk ticket that SautiDesk created for a call, and its callback state."""

    objects = TicketQuerySet.as_manager()

    class Kind(models.TextChoices):
        INBOUND = "inbound", "Inbound call"
        CALLBACK = "callback", "Missed call: callback"
        OUTBOUND = "outbound", "Outbound call"

    freshdesk_id = models.BigIntegerField(unique=True, help_text="Ticket id in Freshdesk.")
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

    def __str__(self):
        return f"#{self.freshdesk_id} {self.get_kind_display()} {self.requester_number}"

    @property
    def freshdesk_url(self):
        domain = settings.FRESHDESK_DOMAIN
        return f"https://{domain}/a/tickets/{self.freshdesk_id}" if domain else ""


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
        help_text="Set just before a ticket is created in Freshdesk: a recent value is a lease "
        "held by one worker, an old one an interrupted attempt to reconcile.",
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


def _bilingual(label, name, max_length=300, **kwargs):
    """The `<name>_en`, `<name>_sw` pair of fields of one message, defaulting to the shipped texts."""
    return [models.CharField(f"{label} ({language})", max_length=max_length,
                             default=texts.default(name, suffix), **kwargs)
            for suffix, language in (("en", "English"), ("sw", "Kiswahili"))]


class RoutingSettings(models.Model):
    """Supervisor-editable routing rules for the whole desk; a single row, which wins over BUSINESS_HOURS.

    A team leaves empty what it does not set for itself, and gets these.
    """

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
        max_length=8, default=texts.EN, choices=texts.LANGUAGES,
        help_text="The language of calls to a number without a voice menu.",
    )
    greeting_en, greeting_sw = _bilingual("greeting", "greeting", help_text="Said before an agent is rung.")
    closed_message_en, closed_message_sw = _bilingual(
        "closed message", "closed_message",
        help_text="Said out of hours and on holidays, before the voicemail.")
    busy_message_en, busy_message_sw = _bilingual(
        "busy message", "busy_message", help_text="Said when nobody is free.")
    busy_action = models.CharField(max_length=10, choices=BusyAction.choices, default=BusyAction.VOICEMAIL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "routing settings"

    def __str__(self):
        return "Routing settings"

    @classmethod
    def current(cls):
        """The row supervisors edit, or the shipped defaults while there is none."""
        return cls.objects.order_by("pk").first() or cls()


class Menu(models.Model):
    """A voice menu: what callers to one of our numbers hear first, and where each key sends them.

    The menu is spoken in its `language`; its language key (when set) plays it in the
    other one. No key, or a key not on the menu, plays it once more; the second time
    the caller goes to the default team.
    """

    number = models.CharField(
        max_length=32, blank=True, unique=True,
        help_text="The Sautikit number this menu answers, e.g. +254203893800. Empty: every number "
        "without a menu of its own.",
    )
    enabled = models.BooleanField(
        default=True, help_text="Off: calls to this number go straight to the whole desk, as with no menu."
    )
    language = models.CharField(
        max_length=8, default=texts.EN, choices=texts.LANGUAGES, help_text="The language callers hear first."
    )
    language_key = models.CharField(
        max_length=1, blank=True, default="9",
        choices=[("", "No language switch")] + [(k, k) for k in "0123456789*#"],
        help_text="Offered at the end of the menu in the other language's words ('Kwa Kiswahili, "
        "bonyeza 9'): pressing it plays the menu in that language.",
    )
    greeting_en, greeting_sw = _bilingual("greeting", "menu_greeting",
                                          help_text="Said before the menu's choices.")
    retry_message_en, retry_message_sw = _bilingual(
        "retry message", "retry_message", help_text="Said before the choices when the menu is played again.")
    default_team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Where callers go who choose nothing (twice). Empty: the whole desk.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "voice menu"

    def __str__(self):
        return f"Voice menu for {self.number or 'every number'}"


class MenuOption(models.Model):
    """One key of a voice menu and what it does."""

    class Action(models.TextChoices):
        TEAM = "team", "Put through to a team"
        MESSAGE = "message", "Play a message, then hang up"
        VOICEMAIL = "voicemail", "Take a voicemail"

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="options")
    key = models.CharField(max_length=1, choices=[(k, k) for k in "123456789"])
    label_en = models.CharField(
        "label (English)", max_length=60, blank=True, help_text="Completes 'For …, press 1.', e.g. 'sales'.")
    label_sw = models.CharField(
        "label (Kiswahili)", max_length=60, blank=True,
        help_text="Completes 'Kwa …, bonyeza 1.', e.g. 'mauzo'.")
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.TEAM)
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The team rung; for a voicemail, the team whose group gets the callback ticket.",
    )
    message_en = models.CharField(
        "message (English)", max_length=500, blank=True,
        help_text="The message played, or said before a voicemail's tone.")
    message_sw = models.CharField("message (Kiswahili)", max_length=500, blank=True)

    class Meta:
        ordering = ["menu", "key"]
        verbose_name = "key"
        constraints = [models.UniqueConstraint(fields=["menu", "key"], name="one_option_per_key")]

    def __str__(self):
        return f"{self.key}: {self.label_en or self.label_sw}"

    def clean(self):
        errors = {}
        if not (self.label_en.strip() or self.label_sw.strip()):
            errors["label_en"] = "Say what the key is for, in English, Kiswahili or both."
        if self.action == self.Action.TEAM and self.team_id is None:
            errors["team"] = "Choose the team this key puts callers through to."
        if self.action == self.Action.MESSAGE and not (self.message_en.strip() or self.message_sw.strip()):
            errors["message_en"] = "Write the message callers hear."
        if errors:
            raise ValidationError(errors)


class Heartbeat(models.Model):
    """When a background process last showed it is alive; read by the readiness probe (/readyz).

    `beat` is written by the process that publishes the heartbeat task (celery beat),
    `worker` by the worker that runs it: if only `worker` goes stale, the workers are
    down or behind; if both do, beat is.
    """

    name = models.CharField(max_length=20, primary_key=True, help_text="beat or worker.")
    at = models.DateTimeField(help_text="Last time this process showed a heartbeat.")

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
