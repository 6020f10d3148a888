"""What supervisors set for routing: the desk's rules, and the voice menu with its keys."""

from django.core.exceptions import ValidationError
from django.db import models

from ..routing import texts


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
