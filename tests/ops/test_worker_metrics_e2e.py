"""A Celery worker started alone serves its own metrics, as on a worker host with no web process.

A real `celery -A sautidesk worker` (prefork, two children) on PostgreSQL and Redis, with
WORKER_METRICS_PORT set and no web process at all; Freshdesk is the local stand-in. The event is
stored in-process and its task sent straight to the worker's queue, so whatever the endpoint
shows was counted by the worker's pool children.
"""

import pytest
import redis
import requests
from celery import Celery

from integration.models import WebhookEvent
from tests.e2e import processes
from tests.factories import signed

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REDIS_URL = "redis://127.0.0.1:6379/8"  # apart from the other end-to-end tests' queues
TOKEN = "worker-metrics-token-e2e"


def scrape(url):
    return processes.scrape(url, TOKEN)


@pytest.fixture
def worker_alone(freshdesk, tmp_path):
    """The worker's metrics URL and the host-wide directory a web process would read."""
    processes.require()
    redis.Redis.from_url(REDIS_URL).flushdb()  # no task left over from an earlier run
    # A port for the child to bind: it cannot be told "any", so take one the OS just gave out.
    port = processes.free_port()
    host_wide = tmp_path / "web-metrics"
    host_wide.mkdir()
    env = processes.service_env(
        DATABASE_URL=processes.database_url(),
        CELERY_BROKER_URL=REDIS_URL, FRESHDESK_RATE_LIMIT_STORAGE="memory://",
        FRESHDESK_BASE_URL=freshdesk.base_url, FRESHDESK_API_KEY=freshdesk.api_key, CONN_MAX_AGE=0,
        METRICS_TOKEN=TOKEN, WORKER_METRICS_PORT=port,
        # What an operator sets for gunicorn on a shared host: the worker must keep out of it.
        PROMETHEUS_MULTIPROC_DIR=host_wide,
    )
    args = [str(processes.BIN / "celery"), "-A", "sautidesk", "worker", "--loglevel", "INFO",
            "--concurrency", "2", "--hostname", "metrics-worker@%h"]
    with processes.running(args, env, ready=lambda: processes.reachable(port), log_name="metrics-worker"):
        yield f"http://127.0.0.1:{port}/metrics", host_wide


def test_a_worker_started_alone_shows_its_freshdesk_requests_to_the_token_only(
        worker_alone, post_webhook, freshdesk):
    url, host_wide = worker_alone
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = requests.get(url, headers=headers, timeout=5)
        assert refused.status_code == 403
        assert "sautidesk_" not in refused.text
        assert "No valid token was sent." in refused.text

    assert post_webhook(signed("call.failed", "CA-WORKER-METRICS-1", status="no-answer")).status_code == 202
    event = WebhookEvent.objects.get()
    publisher = Celery()  # the environment's CELERY_BROKER_URL would win over broker=, so pass a connection
    with publisher.connection_for_write(REDIS_URL) as broker:
        publisher.send_task("integration.tasks.process_event", args=[event.pk], connection=broker)

    finished = ("sautidesk_events_finished_total", (("event", "call.failed"), ("status", "done")))
    samples = processes.wait_for(lambda: (s := scrape(url)).get(finished) and s, timeout=30)
    assert samples, f"no finished event counted; last scrape: {scrape(url)}"
    assert samples[finished] == 1
    assert samples[("sautidesk_freshdesk_requests_total", (("method", "POST"), ("status", "201")))] >= 1
    assert len(freshdesk.tickets) == 1
    # The database facts stay on the web's /metrics: summed over targets they would count twice.
    names = {name for name, _ in samples}
    assert not names & {"sautidesk_webhook_events", "sautidesk_tickets_created_total",
                        "sautidesk_queue_lag_seconds"}
    # Nor does the worker write into a host-wide directory a web's /metrics would add up too.
    assert list(host_wide.iterdir()) == []
