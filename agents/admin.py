"""Agent phones: who routing can ring, and on which number."""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from integration.clients import freshdesk
from integration.phones import InvalidNumber, to_e164
from integration.timefmt import local_text

from . import lockout_admin, outbound_admin  # noqa: F401  (register their ModelAdmins)
from .models import AgentPhone
from .sync import sync_agents
from .teams import sync_teams

logger = logging.getLogger(__name__)


class AgentPhoneForm(forms.ModelForm):
    class Meta:
        model = AgentPhone
        fields = ["name", "email", "freshdesk_agent_id", "phone", "user", "is_active"]

    def clean_phone(self):
        """Stored in E.164, the form Sautikit dials; Kenyan 07… and 2547… are accepted."""
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            return to_e164(phone)
        except InvalidNumber:
            raise forms.ValidationError(
                "“%(phone)s” is not a phone number routing can dial. Use the international "
                "form, e.g. +254711000001 (a Kenyan 0711 000 001 is converted for you).",
                params={"phone": phone}, code="invalid_phone",
            ) from None


class DialNumberFilter(admin.SimpleListFilter):
    title = "dial number"
    parameter_name = "dial_number"

    def lookups(self, request, model_admin):
        return [("missing", "No phone: routing cannot reach them"), ("present", "Has a phone")]

    def queryset(self, request, queryset):
        missing = Q(phone="") & Q(freshdesk_phone="")
        if self.value() == "missing":
            return queryset.filter(missing)
        if self.value() == "present":
            return queryset.exclude(missing)
        return queryset


@admin.register(AgentPhone)
class AgentPhoneAdmin(admin.ModelAdmin):
    form = AgentPhoneForm
    list_display = ["name", "dial", "available", "is_active", "user", "synced"]
    list_filter = [DialNumberFilter, "available", "is_active"]
    search_fields = ["name", "email", "phone", "freshdesk_phone", "=freshdesk_agent_id"]
    readonly_fields = ["freshdesk_phone", "available", "availability_updated_at", "last_routed_at"]

    @admin.display(description="dials", ordering="phone")
    def dial(self, agent):
        if agent.dial_number:
            source = "" if agent.phone else " (from Freshdesk)"
            return f"{agent.dial_number}{source}"
        return format_html("<strong>{}</strong>",
                           "No phone: routing cannot reach this agent")

    @admin.display(description="availability as of", ordering="availability_updated_at")
    def synced(self, agent):
        if not agent.availability_updated_at:
            return "never synced"
        return local_text(agent.availability_updated_at)

    def get_urls(self):
        return [path("sync/", self.admin_site.admin_view(self.sync_view), name="agents_agentphone_sync"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        without = AgentPhone.objects.filter(is_active=True, phone="", freshdesk_phone="").count()
        if without and request.method == "GET":
            self.message_user(request, f"{without} active agent(s) have no phone: routing cannot "
                              "reach them. Filter by “dial number” to find them.", messages.WARNING)
        extra = {"can_sync": self._can_sync(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def _can_sync(self, request):
        return request.user.has_perms(["agents.add_agentphone", "agents.change_agentphone"])

    def sync_view(self, request):
        """Import teams and agents from Freshdesk (agents.teams and agents.sync do it; this reports).

        The team list's button posts here too, with `next=teams` to come back to it.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        page = "admin:agents_team_changelist" if request.POST.get("next") == "teams" else \
            "admin:agents_agentphone_changelist"
        back = HttpResponseRedirect(reverse(page))
        if not self._can_sync(request):
            self.message_user(request, "You may not change agent phones.", messages.ERROR)
            return back
        try:
            teams = sync_teams()
            result = sync_agents()
        except ImproperlyConfigured as err:
            self.message_user(request, f"Freshdesk is not configured: {err}", messages.ERROR)
            return back
        except freshdesk.FreshdeskError as err:
            logger.warning("agent sync failed", extra={"error": str(err)[:200]})
            self.message_user(request, "Freshdesk did not answer the agent or group list, nothing "
                              f"changed: {err}", messages.ERROR)
            return back
        self.message_user(request, f"Synced from Freshdesk: {result}; {teams}.",
                          messages.WARNING if result.without_phone else messages.SUCCESS)
        return back

from . import app_token_admin  # noqa: E402,F401  (registers AppTokenAdmin)
