"""Where supervisors run the desk: the callback queue, the call log, webhook events and routing.

The callback queue is the Ticket changelist, opened on "waiting" and oldest first,
so it keeps the admin's pagination, search and actions; closed callbacks stay in
it under the "called back / closed" filter, with who closed them, when and why.
"""

import json
import logging
from functools import partial
from urllib.parse import urlencode, urlsplit, urlunsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.timesince import timesince

from ..clients import freshdesk
from ..routing.business_hours import InvalidSchedule, parse_holidays, parse_hours
from ..models import Call, RoutingSettings, Ticket, WebhookEvent
from ..phones import InvalidNumber, to_e164
from ..processing.replay import replay
from ..processing.handlers import close_callback

logger = logging.getLogger(__name__)

admin.site.site_header = "SautiDesk"
admin.site.site_title = "SautiDesk admin"
admin.site.index_title = "Run the desk"

# Change permission is what the actions need, but these rows are records: no Save buttons.
READ_ONLY = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
SOFTPHONE_URL = "/softphone/"
MAX_BULK_CLOSE = 50  # DESIGN §6: ?number=…&ticket=… pre-fills the dialer


def as_number(term):
    """Let a supervisor type 0712 345 678 and find +254712345678, as numbers are stored."""
    try:
        return to_e164(term)
    except InvalidNumber:
        return term


def freshdesk_link(ticket):
    if ticket is None:
        return "—"
    url = ticket.freshdesk_url
    label = f"#{ticket.freshdesk_id}"
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label) if url else label


def duration_text(seconds):
    if seconds is None:
        return "—"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


# --- the callback queue ------------------------------------------------------------------


class CallbackFilter(admin.SimpleListFilter):
    """Opens on the waiting callbacks: that is the queue; the rest is its history."""

    title = "callback"
    parameter_name = "callback"
    WAITING, DONE, ALL = "waiting", "done", "all"

    def lookups(self, request, model_admin):
        return [(self.WAITING, "Waiting for a callback"), (self.DONE, "Called back / closed"),
                (self.ALL, "All tickets")]

    def choices(self, changelist):
        current = self.value() or self.WAITING
        for value, title in self.lookup_choices:
            yield {"selected": current == value, "display": title,
                   "query_string": changelist.get_query_string({self.parameter_name: value})}

    def queryset(self, request, queryset):
        value = self.value() or self.WAITING
        if value == self.WAITING:
            return queryset.filter(callback_open=True)
        if value == self.DONE:
            return queryset.filter(kind=Ticket.Kind.CALLBACK, callback_open=False)
        return queryset


class CallbackQueueChangeList(ChangeList):
    def get_results(self, request):
        if self.params.get(CallbackFilter.parameter_name, CallbackFilter.WAITING) == CallbackFilter.WAITING:
            # The queue is the page's subject: a search says "1 result (12 total)" of the
            # queue, not of every ticket, and its "total" link leads back to the queue.
            self.root_queryset = self.root_queryset.filter(callback_open=True)
        super().get_results(request)


class MarkDoneForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Added to each ticket as a private note, e.g. “reached by SMS”.",
        widget=forms.TextInput(attrs={"size": 60, "autofocus": True}),
    )


class CallInline(admin.TabularInline):
    """The calls logged on a ticket: each missed call, the callback, their notes' source."""

    model = Call
    fields = ["started_at", "direction", "status", "failure_status", "duration_seconds", "cost_kes", "agent"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["started_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    search_fields = ["requester_number", "subject"]
    list_filter = [CallbackFilter, "kind"]
    list_per_page = 50
    actions = ["mark_callbacks_done"]
    inlines = [CallInline]
    readonly_fields = ["freshdesk_id", "freshdesk_ticket", "kind", "requester_number", "subject",
                       "created_at", "callback_open", "callback_done_at", "callback_done_by",
                       "callback_done_reason"]

    def get_queryset(self, request):
        queryset = Ticket.objects.annotate(
            # The customer's first missed call, not when Freshdesk took the ticket (it may
            # have been down): waiting time and "oldest first" are about the customer.
            missed_at=Coalesce(Min("calls__started_at", filter=Q(calls__direction=Call.Direction.INBOUND)),
                               "created_at"),
            inbound_calls=Count("calls", filter=Q(calls__direction=Call.Direction.INBOUND)),
        )
        return queryset.order_by(*self.get_ordering(request))

    def get_changelist(self, request, **kwargs):
        return CallbackQueueChangeList

    def _showing_history(self, request):
        return request.GET.get(CallbackFilter.parameter_name) in (CallbackFilter.DONE, CallbackFilter.ALL)

    def get_list_display(self, request):
        if self._showing_history(request):
            return ["requester_number", "missed_at_display", "calls_from_number", "callback_done_at",
                    "callback_done_by", "callback_done_reason", "freshdesk_ticket", "kind"]
        return ["requester_number", "waiting", "calls_from_number", "freshdesk_ticket", "call_back"]

    def get_ordering(self, request):
        if request.GET.get(CallbackFilter.parameter_name) == CallbackFilter.DONE:
            return ["-callback_done_at"]
        if self._showing_history(request):
            return ["-created_at"]
        return ["missed_at"]  # the queue: whoever has waited longest comes first

    def changelist_view(self, request, extra_context=None):
        waiting = Ticket.objects.filter(callback_open=True).count()
        title = f"Callback queue: {waiting} waiting" if not self._showing_history(request) else "Callbacks"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, as_number(search_term))

    @admin.display(description="waiting", ordering="missed_at")
    def waiting(self, ticket):
        return format_html('<span title="missed call at {}">{}</span>', self.missed_at_display(ticket),
                           timesince(ticket.missed_at, timezone.now()))

    @admin.display(description="missed call at", ordering="missed_at")
    def missed_at_display(self, ticket):
        return timezone.localtime(ticket.missed_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description="times called", ordering="inbound_calls")
    def calls_from_number(self, ticket):
        return ticket.inbound_calls

    @admin.display(description="Freshdesk ticket")
    def freshdesk_ticket(self, ticket):
        return freshdesk_link(ticket)

    @admin.display(description="call back")
    def call_back(self, ticket):
        query = urlencode({"number": ticket.requester_number, "ticket": ticket.freshdesk_id})
        return format_html('<a class="button" style="white-space:nowrap" href="{}?{}" '
                           'aria-label="Call {}">Call back</a>',
                           SOFTPHONE_URL, query, ticket.requester_number)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {**READ_ONLY, **(extra_context or {})})

    def has_add_permission(self, request):
        return False  # tickets come from calls

    def has_delete_permission(self, request, obj=None):
        return False  # the row is how we know a call already has its Freshdesk ticket

    @admin.action(description="Mark selected callbacks done…", permissions=["change"])
    def mark_callbacks_done(self, request, queryset):
        open_ids = list(queryset.filter(callback_open=True).values_list("pk", flat=True))
        if not open_ids:
            self.message_user(request, "None of the selected tickets waits for a callback.",
                              messages.WARNING)
            return None
        if len(open_ids) > MAX_BULK_CLOSE:
            # Each close is two or three Freshdesk requests made while the page waits.
            self.message_user(request, f"Select at most {MAX_BULK_CLOSE} callbacks at a time "
                              f"({len(open_ids)} selected).", messages.WARNING)
            return None
        form = MarkDoneForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            _close_callbacks(request, open_ids, form.cleaned_data["reason"], self)
            return None
        return TemplateResponse(request, "admin/integration/ticket/mark_callbacks_done.html", {
            **self.admin_site.each_context(request),
            "title": "Mark callbacks done",
            "opts": self.model._meta,
            "form": form,
            "tickets": Ticket.objects.filter(pk__in=open_ids).order_by("created_at"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })


def _close_callbacks(request, ticket_ids, reason, model_admin):
    """Close each callback in Freshdesk now, and tell the supervisor which ones did not close.

    Synchronous on purpose: the supervisor sees at once which tickets Freshdesk refused.
    A ticket that failed stays in the queue, so running the action again is safe. When
    Freshdesk is down or rate-limited we stop at the first ticket rather than wait out a
    timeout for each of the others while the page hangs.
    """
    who = request.user.get_full_name() or request.user.get_username()
    say = partial(model_admin.message_user, request)
    try:
        client = freshdesk.FreshdeskClient.from_settings()
    except ImproperlyConfigured as err:
        say(f"Freshdesk is not configured: {err}", messages.ERROR)
        return
    closed = []
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids, callback_open=True).order_by("created_at"))
    for index, ticket in enumerate(tickets):
        try:
            outcome = _close_one(ticket.pk, client, who, reason)
        except (freshdesk.Unavailable, freshdesk.ServerError, freshdesk.RateLimited) as err:
            say(f"Freshdesk is not answering ({err}): {len(tickets) - index} callback(s) left open. "
                "Try again in a few minutes.", messages.ERROR)
            break
        except freshdesk.FreshdeskError as err:
            say(f"Ticket #{ticket.freshdesk_id} is still open: Freshdesk said {err}", messages.ERROR)
            continue
        if outcome == "deleted":
            say(f"Ticket #{ticket.freshdesk_id} no longer exists in Freshdesk; its callback is closed "
                "here.", messages.WARNING)
        elif isinstance(outcome, freshdesk.FreshdeskError):
            say(f"Ticket #{ticket.freshdesk_id} is closed, but its note could not be added: {outcome}",
                messages.WARNING)
        if outcome != "already closed":
            closed.append(ticket)
    logger.info("callbacks closed by supervisor", extra={
        "ticket_ids": [t.freshdesk_id for t in closed], "by": who})
    if closed:
        numbers = ", ".join(f"#{t.freshdesk_id}" for t in closed)
        say(f"Marked {len(closed)} callback(s) done: {numbers}.", messages.SUCCESS)


def _close_one(ticket_pk, client, who, reason):
    """Close one callback: "closed", "deleted", "already closed", or the note's FreshdeskError.

    The ticket row stays locked while Freshdesk is told (two or three requests), so a
    double-submitted form or two supervisors at once never add the note twice. A refusal
    from Freshdesk propagates and leaves the callback open.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_pk, callback_open=True).first()
        if ticket is None:
            return "already closed"  # by a completed callback or another supervisor meanwhile
        try:
            close_callback(ticket, client, done_by=who, at=timezone.now(), reason=reason)
        except freshdesk.NotFound:
            # Deleted in Freshdesk: nothing to untag there, and it must not wait here forever.
            Ticket.objects.filter(pk=ticket.pk).update(
                callback_open=False, callback_done_at=timezone.now(), callback_done_by=who[:150],
                callback_done_reason=f"{reason} (ticket deleted in Freshdesk)"[:255])
            return "deleted"
        try:
            client.add_note(ticket.freshdesk_id, f"<p>Callback closed by {escape(who)}: {escape(reason)}</p>")
        except freshdesk.FreshdeskError as err:
            return err
    return "closed"


# --- calls -------------------------------------------------------------------------------


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
        return timezone.localtime(call.started_at).strftime("%d %b %H:%M")

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


# --- webhook events ----------------------------------------------------------------------


def _redact(payload):
    """The stored payload for display, with the presigned recording URL cut to its path."""
    if isinstance(payload, dict) and isinstance(payload.get("recording_url"), str):
        parts = urlsplit(payload["recording_url"])
        if parts.query:
            payload = {**payload, "recording_url": urlunsplit(parts._replace(query="…"))}
    return payload


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["pk", "event", "call_id", "status", "attempts", "received_at", "processed_at",
                    "error_summary"]
    list_filter = ["status", "event", "received_at"]
    search_fields = ["=call_id"]
    list_per_page = 100
    actions = ["replay_events"]
    fields = ["event", "call_id", "status", "attempts", "received_at", "processed_at",
              "next_attempt_at", "freshdesk_note_id", "last_error", "payload"]
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


# --- routing settings --------------------------------------------------------------------


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
class RoutingSettingsAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RoutingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """Straight to the one row (or to adding it): a list of one is noise."""
        row = RoutingSettings.objects.order_by("pk").first()
        if row is not None and self.has_view_or_change_permission(request, row):
            return HttpResponseRedirect(reverse("admin:integration_routingsettings_change", args=[row.pk]))
        if row is None and self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:integration_routingsettings_add"))
        return super().changelist_view(request, extra_context)
