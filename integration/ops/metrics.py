"""Prometheus metrics, scraped at `/metrics` (bearer METRICS_TOKEN, or a login with `view_metrics`).

Two kinds, chosen for what stays correct with several gunicorn and Celery
processes on several machines:

* Facts that the database already holds are computed from it at scrape time
  (`DatabaseCollector`): events by type and status, tickets and notes created,
  failed events, retries, queue lag. Every web process answers the same, and
  nothing is lost when a worker process dies or runs on another machine.
* What only a process sees (webhook outcomes as answered, Freshdesk HTTP
  statuses including 429s, retries and failures as they happen, routing
  latency) is kept in prometheus-client counters and a histogram. With several
  processes set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped at start)
  for every gunicorn and Celery process on a host: `/metrics` then adds up every
  process on its host that writes there. Worker hosts without a web process
  are not seen by it (their business facts still are, from the database): a
  worker with WORKER_METRICS_PORT serves its own processes' counters instead
  (worker_metrics.py), and then keeps them out of the shared directory.

Label values are clamped to known sets: a webhook body is untrusted, and a label
per distinct garbage value would grow the registry without bound.
"""

import os
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, F, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..events import EVENT_NAMES
from ..models import Ticket, WebhookEvent

OUTCOMES = ("accepted", "duplicate", "ignored", "routed", "unavailable")

WEBHOOKS = Counter(
    "sautidesk_webhooks", "Webhook deliveries answered, by event and outcome "
    "(accepted, duplicate, ignored, routed, unavailable (database down: 503), rejected_<http status>).",
    ["event", "outcome"],
)
FRESHDESK_REQUESTS = Counter(
    "sautidesk_freshdesk_requests", "Freshdesk API requests by method and HTTP status "
    "(no_response: timeout or connection error; budget_spent: held back by our shared budget).",
    ["method", "status"],
)
EVENT_RETRIES = Counter(
    "sautidesk_event_retries", "Event processing attempts put off to run again later.", ["event"],
)
EVENTS_FINISHED = Counter(
    "sautidesk_events_finished", "Events that finished processing, by event and status "
    "(done, ignored, failed).", ["event", "status"],
)
ROUTING_SECONDS = Histogram(
    "sautidesk_routing_seconds", "Time to answer a call.routing webhook with voice actions.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def _event_label(event):
    return event if event in EVENT_NAMES else "other"


def webhook_answered(event, outcome):
    """Count one webhook answer; `outcome` is Stored.outcome or rejected_<status>."""
    if outcome not in OUTCOMES and not str(outcome).startswith("rejected_"):
        outcome = "other"
    WEBHOOKS.labels(event=_event_label(event), outcome=outcome).inc()


def freshdesk_answered(method, status):
    """Count one Freshdesk request by HTTP status, `no_response` or `budget_spent`."""
    FRESHDESK_REQUESTS.labels(method=str(method).upper(), status=str(status)).inc()


def event_retried(event):
    EVENT_RETRIES.labels(event=_event_label(event)).inc()


def event_finished(event, status):
    EVENTS_FINISHED.labels(event=_event_label(event), status=str(status)).inc()


class DatabaseCollector:
    """Pipeline facts read from the database at each scrape (a handful of indexed aggregates)."""

    def collect(self):
        events = GaugeMetricFamily(
            "sautidesk_webhook_events", "Stored webhook events by event type and status.",
            labels=["event", "status"],
        )
        by_label = defaultdict(int)
        for row in WebhookEvent.objects.values("event", "status").annotate(n=Count("pk")).order_by():
            by_label[_event_label(row["event"]), row["status"]] += row["n"]
        for labels, count in sorted(by_label.items()):
            events.add_metric(list(labels), count)
        yield events

        tickets = CounterMetricFamily(
            "sautidesk_tickets_created", "Freshdesk tickets created for calls, by kind.", labels=["kind"],
        )
        for row in Ticket.objects.values("kind").annotate(n=Count("pk")).order_by():
            tickets.add_metric([row["kind"]], row["n"])
        yield tickets

        notes = WebhookEvent.objects.filter(freshdesk_note_id__isnull=False).count()
        yield CounterMetricFamily("sautidesk_notes_created", "Freshdesk notes added for events.",
                                  value=notes)

        failed = WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).count()
        yield GaugeMetricFamily("sautidesk_failed_events",
                                "Events that gave up and wait for a supervisor's replay.", value=failed)

        repeats = WebhookEvent.objects.filter(attempts__gt=1).aggregate(n=Sum(F("attempts") - 1))["n"]
        yield GaugeMetricFamily("sautidesk_event_repeat_attempts",
                                "Processing attempts beyond the first, summed over stored events.",
                                value=repeats or 0)

        pending, lag = WebhookEvent.objects.backlog(timezone.now())
        yield GaugeMetricFamily("sautidesk_pending_events", "Events stored but not yet done.",
                                value=pending)
        yield GaugeMetricFamily("sautidesk_queue_lag_seconds",
                                "Age of the oldest event not yet done (0 when none).", value=lag)


def multiprocess_mode():
    # prometheus-client itself reads this variable in every process (it must be set before start).
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def mark_process_dead(pid):
    """Drop a dead process's live-gauge files (multiprocess mode only)."""
    if multiprocess_mode() and pid:
        multiprocess.mark_process_dead(pid)


def process_registry():
    """The process counters this process can see: every process writing into
    PROMETHEUS_MULTIPROC_DIR in multiprocess mode, else only its own."""
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def exposition():
    """The text a scrape of the web's /metrics gets: this host's process metrics, then the database facts."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return generate_latest(process_registry()) + generate_latest(database)


def bearer_token_valid(authorization):
    """`Authorization: Bearer <METRICS_TOKEN>`; never true while METRICS_TOKEN is empty."""
    token = settings.METRICS_TOKEN
    return (bool(token) and authorization.startswith("Bearer ")
            and constant_time_compare(authorization[7:], token))


def _authorised(request):
    # A permission of its own: queue sizes and Freshdesk errors are not every supervisor's business.
    if request.user.has_perm("integration.view_metrics"):
        return True
    return bearer_token_valid(request.headers.get("Authorization", ""))


def _refusal(request):
    """Why the scrape was refused and how to get in: whoever meets this page is setting it up."""
    if request.user.is_authenticated:
        who = f"Your login ({request.user.get_username()}) lacks the \"Can read the Prometheus metrics\" permission."
    elif settings.METRICS_TOKEN:
        who = "No valid token was sent."
    else:
        who = "METRICS_TOKEN is not set, so only logins with the view_metrics permission may read metrics."
    return (f"Forbidden. {who}\n\n"
            "/metrics is for Prometheus. Either\n"
            "  - send the token that METRICS_TOKEN holds: 'Authorization: Bearer <token>'\n"
            "    (Prometheus: authorization: {credentials_file: ...} in the scrape config), or\n"
            "  - sign in to /admin/ as a user with the \"Can read the Prometheus metrics\" permission\n"
            "    (integration.view_metrics; superusers have it) and open /metrics in the same browser.\n"
            "See docs/deploy.md, \"/metrics - Prometheus\".\n")


def metrics_view(request):
    """Prometheus scrape endpoint; 403, saying how to get in, without the bearer token or the
    view_metrics permission."""
    if not _authorised(request):
        return HttpResponse(_refusal(request), status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
