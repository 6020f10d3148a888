"""Teams (Freshdesk groups): who is in them, and their own hours, messages and busy action."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.html import format_html

from agents.models import AgentPhone, Team

from ..models import RoutingSettings
from ..routing.scope import Scope
from .forms import ScheduleForm
from .routing import outcomes_html


class TeamForm(ScheduleForm):
    class Meta:
        model = Team
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        overflow = cleaned.get("overflow_team")
        if cleaned.get("busy_action") == Team.BusyAction.OVERFLOW and overflow is None:
            self.add_error("overflow_team", "Choose the team to ring when this one has nobody free.")
        if overflow is not None and overflow.pk == self.instance.pk:
            self.add_error("overflow_team", "A team cannot overflow into itself.")
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams come from Freshdesk: supervisors set only what makes a team different from the desk."""

    form = TeamForm
    change_list_template = "admin/agents/agentphone/change_list.html"  # its sync button syncs teams too
    list_display = ["name", "members", "free_now", "hours", "busy_action", "in_freshdesk"]
    list_filter = ["in_freshdesk"]
    search_fields = ["name"]
    readonly_fields = ["name", "freshdesk_group_id", "in_freshdesk", "synced_at", "member_list",
                       "callers_hear"]
    fieldsets = [
        ("From Freshdesk", {"fields": ["name", "freshdesk_group_id", "in_freshdesk", "synced_at",
                                       "member_list"]}),
        ("When the team takes calls", {
            "fields": ["business_hours", "holidays"],
            "description": "Empty: the whole desk's (routing settings).",
        }),
        ("What its callers hear", {
            "fields": [("greeting_en", "greeting_sw"), ("closed_message_en", "closed_message_sw"),
                       ("busy_message_en", "busy_message_sw"), "busy_action", "overflow_team"],
            "description": "Each message in English and Kiswahili. Empty: the whole desk's message.",
        }),
        ("What its callers hear (preview, as saved)", {"fields": ["callers_hear"]}),
    ]

    def get_queryset(self, request):
        dialable = Q(agents__is_active=True) & ~(Q(agents__phone="") & Q(agents__freshdesk_phone=""))
        return super().get_queryset(request).annotate(
            member_count=Count("agents", filter=dialable, distinct=True),
            free_count=Count("agents", filter=dialable & Q(agents__available=True), distinct=True),
        )

    @admin.display(description="agents with a phone", ordering="member_count")
    def members(self, team):
        return team.member_count

    @admin.display(description="available now", ordering="free_count")
    def free_now(self, team):
        return team.free_count

    @admin.display(description="hours")
    def hours(self, team):
        return team.business_hours or "as the whole desk"

    @admin.display(description="members")
    def member_list(self, team):
        agents = AgentPhone.objects.filter(teams=team).order_by("name")
        return format_html("<br>".join(["{}"] * len(agents)), *[str(a) for a in agents]) if agents else \
            "Nobody: add agents to this group in Freshdesk."

    @admin.display(description="what callers hear")
    def callers_hear(self, team):
        return outcomes_html(Scope(RoutingSettings.current(), team))

    def has_add_permission(self, request):
        return False  # teams are Freshdesk groups: they come from the sync

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        can_sync = request.user.has_perms(["agents.add_agentphone", "agents.change_agentphone"])
        extra = {"can_sync": can_sync, "sync_next": "teams", **(extra_context or {})}
        return super().changelist_view(request, extra)
