"""Health probes: `/healthz` (liveness) and `/readyz` (is the pipeline moving?).

`/healthz` only says the process answers: cheap enough for a load balancer to
call every few seconds, and it never fails because of something downstream.

`/readyz` answers 200 when webhooks can be stored and will be turned into
tickets, and 503 (with the reasons in `problems`) when the pipeline is stuck:
the database or the broker does not answer, the oldest event not yet done is
older than READINESS_MAX_PENDING_AGE, or the worker or beat heartbeat is older
than READINESS_MAX_HEARTBEAT_AGE. A Freshdesk outage makes events wait, so it
shows here too. Use it for monitoring and alerts; do not take web processes out
of the load balancer on it, or a stuck worker would also stop webhook intake.

Nothing secret is returned: errors are reported by exception class only (a
broker error message can contain the broker URL with its password).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from kombu import Connection

from ..models import WebhookEvent
from . import heartbeat

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """Liveness: the process answers. Readiness (database, broker, queue age) is /readyz."""
    return JsonResponse({"status": "ok"})


def check_database():
    """None when the database answers, else the error's class name."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as err:
        return type(err).__name__
    return None


def check_broker():
    """None when the broker accepts a connection, else the error's class name.

    The URL is read from settings at call time (not from the Celery app, which
    read it at import), with one quick attempt and a short timeout.
    """
    broker = Connection(
        settings.CELERY_BROKER_URL,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        connect_timeout=settings.READINESS_BROKER_TIMEOUT,
    )
    try:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                 timeout=settings.READINESS_BROKER_TIMEOUT)
    except Exception as err:  # kombu and its transports raise many kinds of connection errors
        return type(err).__name__
    finally:
        broker.release()
    return None


def _age(at, now):
    return round((now - at).total_seconds(), 1) if at else None


def pipeline_state(now):
    """Queue and heartbeat facts from the database."""
    pending, oldest_age = WebhookEvent.objects.backlog(now)
    seen = heartbeat.last_seen()
    return {
        "pending_events": pending,
        "oldest_pending_age_seconds": round(oldest_age, 1),
        "failed_events": WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).count(),
        "heartbeats": {
            name: {"at": at.isoformat() if at else None, "age_seconds": _age(at, now)}
            for name, at in seen.items()
        },
    }


def readiness():
    """(ready, report) — the report is what /readyz returns."""
    now = timezone.now()
    problems = []
    database_error = check_database()
    broker_error = check_broker()
    report = {
        "database": {"ok": database_error is None, "error": database_error},
        "broker": {"ok": broker_error is None, "error": broker_error},
    }
    if database_error:
        problems.append("database does not answer")
    if broker_error:
        problems.append("broker does not answer")
    if not database_error:
        try:
            state = pipeline_state(now)
        except DatabaseError as err:
            problems.append("database does not answer")
            report["database"] = {"ok": False, "error": type(err).__name__}
        else:
            report.update(state)
            if state["oldest_pending_age_seconds"] > settings.READINESS_MAX_PENDING_AGE:
                problems.append("oldest pending event is older than %ds" % settings.READINESS_MAX_PENDING_AGE)
            for name, seen in state["heartbeats"].items():
                age = seen["age_seconds"]
                if age is None:
                    problems.append(f"no {name} heartbeat yet")
                elif age > settings.READINESS_MAX_HEARTBEAT_AGE:
                    problems.append(f"{name} heartbeat is older than {settings.READINESS_MAX_HEARTBEAT_AGE}s")
    report = {"ready": not problems, "problems": problems, **report}
    return not problems, report


@never_cache
def readyz(request):
    ready, report = readiness()
    if not ready:
        logger.warning("not ready", extra={"problems": report["problems"]})
    return JsonResponse(report, status=200 if ready else 503)
