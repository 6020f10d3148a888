"""The front page, `/`: who you are signed in as, and where to go from here."""

from django.conf import settings
from django.shortcuts import render

from agents.calls import active_agent


def home(request):
    """Links for agents (softphone), supervisors (admin) and, in sandbox mode, the stand-ins.

    It answers everyone, signed in or not: it is where the README, the run banner and the
    admin's "View site" link send people, so it explains rather than redirects.
    """
    user = request.user
    sandbox = settings.SANDBOX_MODE
    return render(request, "home.html", {
        "agent": active_agent(user),
        "is_supervisor": user.is_authenticated and user.is_staff,
        "sandbox": sandbox,
        "freshdesk_sandbox_url": f"{settings.FRESHDESK_BASE_URL}/_sandbox/" if sandbox else "",
        "webhook_url": f"{settings.PUBLIC_BASE_URL}/webhooks/sautikit/" if settings.PUBLIC_BASE_URL else "",
    })
