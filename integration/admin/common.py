"""What several admin pages share: read-only record pages, number search, links, durations."""

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from ..phones import InvalidNumber, to_e164

# Change permission is what the actions need, but these rows are records: no Save buttons.
READ_ONLY = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}


class OneRowAdmin:
    """For a settings model kept in one row: no second row, no delete, straight to the row."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """Straight to the one row (or to adding it): a list of one is noise."""
        url = f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}"
        row = self.model.objects.order_by("pk").first()
        if row is not None and self.has_view_or_change_permission(request, row):
            return HttpResponseRedirect(reverse(f"{url}_change", args=[row.pk]))
        if row is None and self.has_add_permission(request):
            return HttpResponseRedirect(reverse(f"{url}_add"))
        return super().changelist_view(request, extra_context)


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
    """40 s, 1 min 05 s, 3 h 05 min, 2 days 3 h: a call's length or a wait, read at a glance."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days {hours % 24} h"
