"""Webhook events as stored, with their processing state, and replay for supervisors."""

import json
from urllib.parse import urlsplit, urlunsplit

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from ..models import WebhookEvent
from ..processing.replay import replay
from .common import READ_ONLY


def _redact(payload):
    """The stored payload for display, with the presigned recording URL cut to its path."""
    if isinstance(payload, dict) and isinstance(payload.get("recording_url"), str):
        parts = urlsplit(payload["recording_url"])
        if parts.query:
            payload = {**payload, "recording_url": urlunsplit(parts._replace(query="…"))}
    return payload


class FlaggedFilter(admin.SimpleListFilter):
    title = "flagged"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "Flagged: part refused as untrustworthy"), ("no", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(flag="")
        if self.value() == "no":
            return queryset.filter(flag="")
        return queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["pk", "event", "step", "call_id", "status", "attempts", "received_at", "processed_at",
                    "error_summary", "flag"]
    list_filter = ["status", FlaggedFilter, "event", "received_at"]
    search_fields = ["=call_id"]
    list_per_page = 100
    actions = ["replay_events"]
    fields = ["event", "step", "call_id", "status", "attempts", "received_at", "processed_at",
              "next_attempt_at", "freshdesk_note_id", "last_error", "flag", "payload"]
    readonly_fields = fields
    change_form_template = "admin/integration/webhookevent/change_form.html"

    @admin.display(description="last error")
    def error_summary(self, event):
        return (event.last_error[:80] + "…") if len(event.last_error) > 80 else event.last_error

    @admin.display(description="payload")
    def payload(self, event):
        try:
            text = json.dumps(_redact(json.loads(event.raw_body)), indent=2, sort_keys=True,
                              ensure_ascii=False)
        except RecursionError:
            # Stored by a release that did not cap nesting; the raw text could hold a signed URL.
            text = f"(nested too deeply to show; {len(event.raw_body)} characters)"
        except ValueError:
            text = event.raw_body or "(pruned)"
        return format_html('<pre class="sautidesk-payload">{}</pre>', text)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_replay_permission(self, request):
        return request.user.has_perm("integration.change_webhookevent")

    def get_urls(self):
        return [
            path("<int:pk>/replay/", self.admin_site.admin_view(self.replay_one),
                 name="integration_webhookevent_replay"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_replay": self.has_replay_permission(request), **READ_ONLY, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description="Replay selected events", permissions=["replay"])
    def replay_events(self, request, queryset):
        self._report(request, replay(queryset.values_list("pk", flat=True), by=request.user.get_username()))

    def replay_one(self, request, pk):
        event = get_object_or_404(WebhookEvent, pk=pk)
        if request.method != "POST" or not self.has_replay_permission(request):
            return HttpResponseRedirect(reverse("admin:integration_webhookevent_change", args=[pk]))
        self._report(request, replay([event.pk], by=request.user.get_username()))
        return HttpResponseRedirect(reverse("admin:integration_webhookevent_change", args=[pk]))

    def _report(self, request, result):
        if result.replayed:
            self.message_user(request, f"Replaying {len(result.replayed)} event(s); they show "
                              "done or failed once a worker has run them.", messages.SUCCESS)
        for event_id, why in result.skipped.items():
            self.message_user(request, f"Event {event_id} not replayed: {why}.", messages.WARNING)
