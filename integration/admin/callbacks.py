"""The callback queue: the Ticket changelist, opened on "waiting" and oldest first.

It keeps the admin's pagination, search and actions; closed callbacks stay in it
under the "called back / closed" filter, with who closed them, when and why.
Closing in Freshdesk is `processing.callbacks`' job; this module only reports it.
"""

from functools import partial
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from ..models import Call, Ticket
from ..processing.callbacks import MAX_BULK_CLOSE, close_by_supervisor
from ..timefmt import local_text
from .common import READ_ONLY, as_number, freshdesk_link

# Where "Call back" leads; ?number=…&ticket=… pre-fills the dialer (contract §6).
SOFTPHONE_URL = "/softphone/"


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
    list_filter = [CallbackFilter, "team", "kind"]
    list_per_page = 50
    actions = ["mark_callbacks_done"]
    inlines = [CallInline]
    readonly_fields = ["freshdesk_id", "freshdesk_ticket", "kind", "requester_number", "subject",
                       "created_at", "team", "callback_open", "callback_done_at", "callback_done_by",
                       "callback_done_reason"]

    def get_queryset(self, request):
        queryset = Ticket.objects.select_related("team").annotate(
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
            return ["requester_number", "missed_at_display", "calls_from_number", "team", "callback_done_at",
                    "callback_done_by", "callback_done_reason", "freshdesk_ticket", "kind"]
        return ["requester_number", "waiting", "calls_from_number", "team", "freshdesk_ticket", "call_back"]

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
        return local_text(ticket.missed_at)

    @admin.display(description="times called", ordering="inbound_calls")
    def calls_from_number(self, ticket):
        return ticket.inbound_calls

    @admin.display(description="Freshdesk ticket")
    def freshdesk_ticket(self, ticket):
        return freshdesk_link(ticket)

    @admin.display(description="call back")
    def call_back(self, ticket):
        query = urlencode({"number": ticket.requester_number, "ticket": ticket.freshdesk_id})
        return format_html('<a class="button" href="{}?{}" '
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
            self.message_user(request, f"Select at most {MAX_BULK_CLOSE} callbacks at a time "
                              f"({len(open_ids)} selected).", messages.WARNING)
            return None
        form = MarkDoneForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._close(request, open_ids, form.cleaned_data["reason"])
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

    def _close(self, request, ticket_ids, reason):
        """Close the callbacks now and tell the supervisor which ones did not close."""
        who = request.user.get_full_name() or request.user.get_username()
        say = partial(self.message_user, request)
        try:
            report = close_by_supervisor(ticket_ids, who, reason)
        except ImproperlyConfigured as err:
            say(f"Freshdesk is not configured: {err}", messages.ERROR)
            return
        for ticket, error in report.refused:
            say(f"Ticket #{ticket.freshdesk_id} is still open: Freshdesk said {error}", messages.ERROR)
        for ticket in report.deleted:
            say(f"Ticket #{ticket.freshdesk_id} no longer exists in Freshdesk; its callback is closed "
                "here.", messages.WARNING)
        for ticket, error in report.note_failed:
            say(f"Ticket #{ticket.freshdesk_id} is closed, but its note could not be added: {error}",
                messages.WARNING)
        if report.unavailable:
            say(f"Freshdesk is not answering ({report.unavailable}): {report.left_open} callback(s) "
                "left open. Try again in a few minutes.", messages.ERROR)
        if report.closed:
            numbers = ", ".join(f"#{t.freshdesk_id}" for t in report.closed)
            say(f"Marked {len(report.closed)} callback(s) done: {numbers}.", messages.SUCCESS)
