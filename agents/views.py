"""The softphone page (contract §6): click-to-call, live status, screen pop, recent calls.

`/softphone/?number=0712345678&ticket=123` pre-fills the form; Freshdesk admins point
phone-number links there (docs/softphone.md). The page holds no secret: it calls our
own API, which calls Sautikit with the key kept on the server.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse, reverse_lazy

from integration.phones import InvalidNumber, to_e164

from .api import recent_calls
from .calls import active_agent
from .serializers import call_json

LOGIN_URL = reverse_lazy("softphone-login")


def _prefill_number(raw):
    """The ?number= value in E.164 when it parses; else as given, for the agent to fix.

    Freshdesk placeholders are not URL-encoded, so `?number=+1 202…` arrives with its
    plus decoded to a space: a leading space before a digit stands for that plus.
    """
    raw = raw or ""
    text = raw.strip()[:40]
    if raw.startswith(" ") and text[:1].isdigit():
        text = "+" + text
    if not text:
        return "", ""
    try:
        return to_e164(text), ""
    except InvalidNumber:
        return text, f"“{text}” does not look like a phone number; check it before calling."


def _prefill_ticket(text):
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


@login_required(login_url=LOGIN_URL)
def softphone(request):
    agent = active_agent(request.user)
    number, number_warning = _prefill_number(request.GET.get("number"))
    calls = recent_calls(request.user, agent)
    return render(request, "softphone/softphone.html", {
        "agent": agent,
        "number": number,
        "number_warning": number_warning,
        "ticket_id": _prefill_ticket(request.GET.get("ticket")),
        "config": {
            "callsUrl": reverse("api-calls"),
            "pollUrl": reverse("softphone-poll"),
            "pollMs": 2000,
            "calls": [call_json(call) for call in calls],
        },
    })


class SoftphoneLoginView(auth_views.LoginView):
    """A login for agents who are not admin staff (the admin login refuses them)."""

    template_name = "softphone/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("softphone")


class SoftphoneLogoutView(auth_views.LogoutView):
    next_page = LOGIN_URL
