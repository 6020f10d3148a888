"""Admin pages that are not a model's list: the supervisors' dashboard."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from .dashboard import SERIES, duration_text, last_days


def dashboard(request):
    """Last 30 days at a glance; wrapped in admin_view (staff login) by sautidesk/urls.py."""
    if not request.user.has_perm("integration.view_call"):
        raise PermissionDenied
    figures = last_days()
    rate = figures.missed_rate
    return TemplateResponse(request, "admin/dashboard.html", {
        **admin.site.each_context(request),
        "title": "Dashboard: last 30 days",
        "figures": figures,
        "series": SERIES,
        "missed_rate": "—" if rate is None else f"{rate * 100:.1f}%",
        "callback_median": duration_text(figures.callback_median),
        "callback_p90": duration_text(figures.callback_p90),
        "spend": f"KES {figures.spend_kes:,.2f}",
    })
