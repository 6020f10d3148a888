"""Agents: who answers calls, on which phone, whether Freshdesk says they are available, and their teams."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class AgentPhoneQuerySet(models.QuerySet):
    def dialable(self):
        """Active agents with a number routing can dial: theirs, or the one Freshdesk has."""
        return self.filter(is_active=True).exclude(phone="", freshdesk_phone="")


def _message(label, what):
    return models.CharField(
        label, max_length=300, blank=True, help_text=f"{what} Empty: the whole desk's (routing settings)."
    )


class Team(models.Model):
    """A Freshdesk group of agents that the voice menu can send callers to.

    Its name and members come from Freshdesk (the groups API and each agent's
    `group_ids`), synced with the agents. Everything else is the supervisors' and
    optional: an empty field means "as the whole desk" (the routing settings), so a
    team only needs what makes it different.
    """

    class BusyAction(models.TextChoices):
        DESK = "", "As the whole desk"
        VOICEMAIL = "voicemail", "Take a voicemail"
        HANGUP = "hangup", "Hang up"
        OVERFLOW = "overflow", "Ring the overflow team's agents, else take a voicemail"

    freshdesk_group_id = models.BigIntegerField(unique=True, help_text="Group id in Freshdesk.")
    name = models.CharField(max_length=150, help_text="The group's name in Freshdesk (last sync).")
    in_freshdesk = models.BooleanField(
        default=True, help_text="Off once the group is deleted in Freshdesk: it has no members, "
        "and its calls' tickets are created without a group.",
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    business_hours = models.CharField(
        max_length=200, blank=True,
        help_text="Africa/Nairobi time, e.g. 'mon-fri 08:00-18:00; sat 09:00-13:00' or '24/7'. "
        "Empty: the whole desk's hours.",
    )
    holidays = models.TextField(
        blank=True, help_text="Dates when this team takes no calls, one YYYY-MM-DD a line. Empty: the "
        "whole desk's holidays; when set, only these count for the team.",
    )
    greeting_en = _message("greeting (English)", "Said before an agent of this team is rung.")
    greeting_sw = _message("greeting (Kiswahili)", "Said before an agent of this team is rung.")
    closed_message_en = _message("closed message (English)", "Said out of hours, before a voicemail.")
    closed_message_sw = _message("closed message (Kiswahili)", "Said out of hours, before a voicemail.")
    busy_message_en = _message("busy message (English)", "Said when nobody in the team is free.")
    busy_message_sw = _message("busy message (Kiswahili)", "Said when nobody in the team is free.")
    busy_action = models.CharField(
        max_length=10, choices=BusyAction.choices, default=BusyAction.DESK, blank=True,
        help_text="What happens when nobody in the team is free.",
    )
    overflow_team = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="With 'ring the overflow team': whose free agents are tried next, if that team is "
        "open. One step only: its own overflow is not followed.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name if self.in_freshdesk else f"{self.name} (no longer in Freshdesk)"


class AgentPhone(models.Model):
    """A Freshdesk agent and the phone Sautikit dials to reach them."""

    objects = AgentPhoneQuerySet.as_manager()

    freshdesk_agent_id = models.BigIntegerField(unique=True, help_text="Agent id in Freshdesk.")
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    phone = models.CharField(
        max_length=32, blank=True,
        help_text="E.164 number that routing dials, e.g. +254711000001. Empty: the agent's "
        "Freshdesk mobile or phone is used, and without either routing cannot reach them.",
    )
    freshdesk_phone = models.CharField(
        max_length=32, blank=True,
        help_text="The agent's contact.mobile or contact.phone in Freshdesk (last sync).",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="agent_phone", help_text="The SautiDesk login this agent uses for the softphone.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive agents are never routed calls.")
    available = models.BooleanField(
        default=False,
        help_text="Freshdesk's 'available' flag (last sync). Freshdesk keeps it meaningful only "
        "for agents in groups with automatic ticket assignment.",
    )
    availability_updated_at = models.DateTimeField(null=True, blank=True)
    last_routed_at = models.DateTimeField(
        null=True, blank=True, help_text="When routing last sent a call to this agent."
    )
    teams = models.ManyToManyField(
        Team, blank=True, related_name="agents",
        help_text="The Freshdesk groups the agent is in (last sync).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.dial_number or 'no phone'})"

    @property
    def dial_number(self):
        """The number routing dials: ours first, then the one Freshdesk has."""
        return self.phone or self.freshdesk_phone


class AppToken(models.Model):
    """A credential the SautiDesk app inside Freshdesk sends with every request (docs/freshdesk-app.md).

    Only a SHA-256 hash of the token is kept: the token itself is shown once, when it is
    created, and entered as the app's secure installation parameter in Freshdesk.
    """

    name = models.CharField(max_length=100, help_text="Where it is used, e.g. “Freshdesk (production)”.")
    prefix = models.CharField(
        max_length=16, editable=False,
        help_text="The token's first characters, to tell tokens apart; the rest is not kept.",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last request from the app (to the minute)."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When it was revoked: the app's requests with it are refused from then on.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


class AllowedNumber(models.Model):
    """A number supervisors allow the softphone to call although the destination policy would not.

    For the rare legitimate exception (a customer on a ship's satellite phone, a partner
    abroad): only this exact number, never a range. See agents/destinations.py.
    """

    number = models.CharField(max_length=32, unique=True, help_text="E.164, e.g. +870772111111.")
    reason = models.CharField(max_length=200, help_text="Why calls to it are needed; shown to supervisors.")
    added_by = models.CharField(max_length=150, blank=True, help_text="Supervisor who allowed it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} ({self.reason})"


class CallingLimits(models.Model):
    """Supervisor-editable daily caps on outbound spend; a single row, which wins over the settings.

    An empty field falls back to its OUTBOUND_DAILY_CAP_* setting. See agents/spend.py for how
    today's spend is counted.
    """

    agent_daily_cap_kes = models.DecimalField(
        "daily cap per agent (KES)", max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
        help_text="Most one agent's outbound calls may cost in a day (Nairobi time); a call that "
        "would start past it is refused. Empty: the OUTBOUND_DAILY_CAP_AGENT_KES setting. 0: no cap.",
    )
    company_daily_cap_kes = models.DecimalField(
        "daily cap for the company (KES)", max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
        help_text="Most all outbound calls together may cost in a day (Nairobi time). Empty: the "
        "OUTBOUND_DAILY_CAP_COMPANY_KES setting. 0: no cap.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "calling limits"

    def __str__(self):
        return "Calling limits"
