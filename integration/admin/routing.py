"""Routing settings: when calls go to agents and what callers hear (one row)."""

from django import forms
from django.contrib import admin

from ..models import RoutingSettings
from ..routing.business_hours import InvalidSchedule, parse_holidays, parse_hours
from .common import OneRowAdmin


class RoutingSettingsForm(forms.ModelForm):
    """Refuses a schedule routing could not read, naming the bad part, instead of saving it."""

    class Meta:
        model = RoutingSettings
        fields = "__all__"

    def clean_business_hours(self):
        spec = self.cleaned_data["business_hours"].strip()
        if spec:
            try:
                parse_hours(spec)
            except InvalidSchedule as err:
                raise forms.ValidationError(f"Not readable: {err}.") from None
        return spec

    def clean_holidays(self):
        errors = []
        parse_holidays(self.cleaned_data["holidays"], errors)
        if errors:
            raise forms.ValidationError(errors)
        return self.cleaned_data["holidays"]


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(OneRowAdmin, admin.ModelAdmin):
    """One row: what callers hear and when calls go to agents. It wins over BUSINESS_HOURS."""

    form = RoutingSettingsForm

    fieldsets = [
        ("When calls go to agents", {
            "fields": ["business_hours", "holidays"],
            "description": "Outside these hours, and on holidays, callers hear the closed "
                           "message and no agent's phone rings.",
        }),
        ("What callers hear", {"fields": ["language", "greeting", "closed_message",
                                          "busy_message", "busy_action"]}),
    ]

