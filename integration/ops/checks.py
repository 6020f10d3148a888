"""Configuration checks: `manage.py check` names each missing variable (DESIGN §2)."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from ..routing.business_hours import InvalidSchedule, parse_hours

REQUIRED = {
    "SAUTIKIT_WEBHOOK_SECRET": "webhooks cannot be verified, so every one is refused",
    "SAUTIKIT_API_KEY": "calls cannot be placed from the softphone",
    "SAUTIKIT_API_URL": "calls cannot be placed from the softphone",
    "SAUTIKIT_FROM_NUMBER": "outbound calls have no caller ID",
    "FRESHDESK_API_KEY": "no ticket can be created",
}


@register()
def required_settings(app_configs, **kwargs):
    problems = [
        Error(f"{name} is not set: {consequence}.", hint=f"Set {name} in the environment or .env.",
              id=f"sautidesk.E{index:03d}")
        for index, (name, consequence) in enumerate(REQUIRED.items(), start=1)
        if not getattr(settings, name)
    ]
    if not (settings.FRESHDESK_DOMAIN or settings.FRESHDESK_BASE_URL):
        problems.append(Error(
            "FRESHDESK_DOMAIN is not set: SautiDesk does not know which Freshdesk to talk to.",
            hint="Set FRESHDESK_DOMAIN=yourcompany.freshdesk.com (or FRESHDESK_BASE_URL).",
            id="sautidesk.E010",
        ))
    if not settings.PUBLIC_BASE_URL:
        problems.append(Warning(
            "PUBLIC_BASE_URL is not set: the webhook URL for Sautikit and voice_callback_url "
            "cannot be built.",
            hint="Set PUBLIC_BASE_URL to the https:// address Sautikit reaches this service at.",
            id="sautidesk.W011",
        ))
    return problems


@register()
def business_hours_readable(app_configs, **kwargs):
    """Routing falls back to 24/7 on an unreadable BUSINESS_HOURS; say so before the first call."""
    try:
        parse_hours(settings.BUSINESS_HOURS)
    except InvalidSchedule as err:
        return [Error(f"BUSINESS_HOURS cannot be read: {err}.",
                      hint="Use '24/7' or e.g. 'mon-fri 08:00-18:00; sat 09:00-13:00'.",
                      id="sautidesk.E012")]
    return []



@register()
def create_settle_outlasts_the_timeouts(app_configs, **kwargs):
    """A create that timed out must not be sent again before it could have landed (tickets.py)."""
    connect, read = settings.FRESHDESK_TIMEOUT
    if settings.FRESHDESK_CREATE_SETTLE_SECONDS > connect + read:
        return []
    return [Warning(
        f"FRESHDESK_CREATE_SETTLE_SECONDS ({settings.FRESHDESK_CREATE_SETTLE_SECONDS}) is not longer than a "
        f"Freshdesk request may take ({connect + read:g} s): a create that timed out would be sent again "
        "while Freshdesk may still store it, giving duplicate tickets.",
        hint="Keep it at several minutes (default 300); see docs/reliability.md.", id="sautidesk.W013",
    )]
