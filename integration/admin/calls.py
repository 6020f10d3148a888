"""The call log: every call Sautikit reported, with its agent, cost, ticket and recording."""

from django.contrib import admin
from django.utils.html import format_html

from ..models import Call
from ..timefmt import local_text
from .common import as_number, duration_text, freshdesk_link


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["when", "kind", "customer", "agent_name", "duration", "cost", "ticket_link", "recording"]
    list_filter = ["direction", "status", "agent", "started_at"]
    date_hierarchy = "started_at"
    search_fields = ["call_id", "from_number", "to_number"]
    list_select_related = ["agent", "ticket"]
    list_per_page = 100
    # The presigned recording URL is shown only as a link, never as text (it is a credential).
    exclude = ["recording_url"]

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in Call._meta.fields if f.name != "recording_url"]
        return [*fields, "recording"]

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, as_number(search_term))

    @admin.display(description="started", ordering="started_at")
    def when(self, call):
        return local_text(call.started_at)

    @admin.display(description="call", ordering="direction")
    def kind(self, call):
        return f"{call.get_direction_display()}, {call.get_status_display().lower()}"

    @admin.display(description="customer")
    def customer(self, call):
        return call.to_number if call.direction == Call.Direction.OUTBOUND else call.from_number

    @admin.display(description="agent", ordering="agent__name")
    def agent_name(self, call):
        return call.agent.name if call.agent else "—"

    @admin.display(description="duration", ordering="duration_seconds")
    def duration(self, call):
        return duration_text(call.duration_seconds)

    @admin.display(description="cost (KES)", ordering="cost_kes")
    def cost(self, call):
        return "—" if call.cost_kes is None else f"{call.cost_kes:.2f}"

    @admin.display(description="ticket")
    def ticket_link(self, call):
        return freshdesk_link(call.ticket)

    @admin.display(description="recording")
    def recording(self, call):
        if not call.recording_url:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">recording</a>',
                           call.recording_url)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
