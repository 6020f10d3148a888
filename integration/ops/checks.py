"""Configuration checks: `manage.py check` names each missing variable (contract §2)."""

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



@register(deploy=True)
def not_in_sandbox_mode(app_configs, **kwargs):
    """`check --deploy` before going live: a forgotten sandbox .env would quietly drop every call."""
    if not settings.SANDBOX_MODE:
        return []
    return [Error("SANDBOX_MODE is on: Freshdesk and Sautikit are the local stand-ins, so no ticket "
                  "reaches your Freshdesk and no call is placed.",
                  hint="Remove the sandbox lines that ./scripts/run wrote into .env and set your real "
                       "credentials (see .env.example).",
                  id="sautidesk.E013")]


def _production():
    """Sandbox mode (SANDBOX_MODE=on, written by ./scripts/run) and DEBUG allow throwaway settings."""
    return not (settings.SANDBOX_MODE or settings.DEBUG)


@register()
def secret_key_set(app_configs, **kwargs):
    """Sessions and CSRF tokens signed with a key published in our source could be forged."""
    if _production() and settings.SECRET_KEY in ("", settings.INSECURE_SECRET_KEY):
        return [Error(
            "SECRET_KEY is not set: logins and CSRF tokens would be signed with a key anyone can "
            "read in SautiDesk's source, so anyone could forge a session.",
            hint='Set SECRET_KEY to a long random value: python -c "import secrets; '
                 'print(secrets.token_urlsafe(50))". Only sandbox mode (SANDBOX_MODE=on) runs without one.',
            id="sautidesk.E020",
        )]
    return []


@register()
def cache_shared(app_configs, **kwargs):
    """The call throttle counts in the cache: per process, it allows the limit once per process."""
    backend = settings.CACHES["default"]["BACKEND"]
    if _production() and backend.rsplit(".", 1)[-1] in ("LocMemCache", "DummyCache"):
        return [Warning(
            "The cache is each process's own memory (no CACHE_URL, and the broker is not Redis): "
            "the per-user call limit is counted by each web process separately.",
            hint="Set CACHE_URL to a Redis every web process reaches, e.g. redis://127.0.0.1:6379/2.",
            id="sautidesk.W021",
        )]
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
        hint="Keep it at several minutes (default 300); see docs/reliability.md.", id="sautidesk.W014",
    )]


@register()
def worker_metrics_readable(app_configs, **kwargs):
    """A worker has no logins: without the token its own /metrics refuses every scrape."""
    if not settings.WORKER_METRICS_PORT or settings.METRICS_TOKEN:
        return []
    return [Warning(
        f"WORKER_METRICS_PORT is set ({settings.WORKER_METRICS_PORT}) but METRICS_TOKEN is empty: the "
        "worker's metrics endpoint refuses every scrape.",
        hint="Set METRICS_TOKEN, and give Prometheus the same token (docs/deploy.md, \"Worker metrics\").",
        id="sautidesk.W030",
    )]
