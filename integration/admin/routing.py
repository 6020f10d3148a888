"""Routing settings: when calls go to agents and what callers hear (one row, the whole desk)."""

from django.contrib import admin
from django.template.loader import render_to_string

from ..models import RoutingSettings
from ..routing.preview import Branch, team_outcomes
from ..routing.scope import Scope
from ..routing.texts import LANGUAGES
from .common import OneRowAdmin
from .forms import ScheduleForm

BILINGUAL_MESSAGES = [("greeting_en", "greeting_sw"), ("closed_message_en", "closed_message_sw"),
                      ("busy_message_en", "busy_message_sw")]


def outcomes_html(scope):
    """The caller-hears table of one scope (a team or the whole desk), in both languages."""
    branches = [Branch(name, team_outcomes(scope, code)) for code, name in LANGUAGES]
    return render_to_string("admin/integration/includes/callers_hear.html", {"branches": branches})


class RoutingSettingsForm(ScheduleForm):
    class Meta:
        model = RoutingSettings
        fields = "__all__"


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(OneRowAdmin, admin.ModelAdmin):
    """One row: what callers hear and when calls go to agents. It wins over BUSINESS_HOURS.

    Teams leave empty what they share with the whole desk, and get it from here.
    """

    form = RoutingSettingsForm
    readonly_fields = ["callers_hear"]

    fieldsets = [
        ("When calls go to agents", {
            "fields": ["business_hours", "holidays"],
            "description": "Outside these hours, and on holidays, callers hear the closed "
                           "message and no agent's phone rings. A team may have its own.",
        }),
        ("What callers hear", {
            "fields": ["language", *BILINGUAL_MESSAGES, "busy_action"],
            "description": "Each message in English and in Kiswahili: callers hear the one in their "
                           "language (the number's, or the one they chose in the voice menu).",
        }),
        ("What callers hear (preview)", {"fields": ["callers_hear"]}),
    ]

    @admin.display(description="the whole desk")
    def callers_hear(self, rules):
        if rules.pk is None:
            return "Save to see what callers will hear."
        return outcomes_html(Scope(rules))
