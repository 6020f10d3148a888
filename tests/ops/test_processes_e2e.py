"""Readiness and metrics with the real processes: gunicorn, a Celery worker, beat, PostgreSQL, Redis.

The broker is reached through a relay the test can cut, as if Redis stopped and came back.
The web and worker processes share one PROMETHEUS_MULTIPROC_DIR, as docs/deploy.md says to
do on one host, so the web's /metrics shows the worker's Freshdesk requests too.
"""

import pytest
import requests

from integration.models import Heartbeat, WebhookEvent
from tests.e2e import processes
from tests.factories import SECRET, signed
from tests.ops.relay import Relay

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOKEN = "e2e-metrics-token"
REDIS_DB = 12  # apart from the other end-to-end tests' queues


def scrape(base_url):
    return processes.scrape(f"{base_url}/metrics", TOKEN)


@pytest.fixture
def stack(freshdesk, tmp_path):
    processes.require()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with Relay(6379) as relay:
        env = processes.service_env(
            DATABASE_URL=processes.database_url(),
            CELERY_BROKER_URL=f"redis://127.0.0.1:{relay.port}/{REDIS_DB}",
            FRESHDESK_RATE_LIMIT_STORAGE="memory://",
            FRESHDESK_BASE_URL=freshdesk.base_url, FRESHDESK_API_KEY=freshdesk.api_key,
            SAUTIKIT_WEBHOOK_SECRET=SECRET, CONN_MAX_AGE=0, METRICS_TOKEN=TOKEN,
            PROMETHEUS_MULTIPROC_DIR=metrics_dir,
        )
        beat = [str(processes.BIN / "celery"), "-A", "sautidesk", "beat", "--loglevel", "INFO",
                "--schedule", str(tmp_path / "celerybeat-schedule")]
        with processes.worker(env, name="ops-e2e-worker"), \
                processes.running(beat, env, log_name="ops-e2e-beat"), \
                processes.web(env) as base_url:
            yield base_url, relay


def readiness(base_url):
    response = requests.get(f"{base_url}/readyz", timeout=10)
    return response.status_code, response.json()


def test_readiness_follows_the_broker_and_metrics_show_a_missed_call(stack, freshdesk):
    base_url, relay = stack
    answer = requests.post(f"{base_url}/webhooks/sautikit/", timeout=5,
                           json=signed("call.failed", "CA-OPS-E2E-1", status="no-answer"))
    assert answer.status_code == 202
    assert processes.wait_for(lambda: len(freshdesk.tickets) == 1, timeout=30)

    # Beat's first heartbeat comes one interval (30 s) after it starts.
    ready = processes.wait_for(lambda: readiness(base_url)[0] == 200, timeout=60)
    assert ready, readiness(base_url)
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"beat", "worker"}

    samples = scrape(base_url)
    assert samples[("sautidesk_tickets_created_total", (("kind", "callback"),))] == 1
    assert samples[("sautidesk_webhooks_total", (("event", "call.failed"), ("outcome", "accepted")))] == 1
    # Counted in the worker process, read by a gunicorn process through the shared directory.
    assert samples[("sautidesk_freshdesk_requests_total", (("method", "POST"), ("status", "201")))] >= 1

    relay.cut()
    status, report = readiness(base_url)
    assert status == 503
    assert report["broker"]["ok"] is False and report["database"]["ok"] is True
    # Intake goes on while the broker is away: the event is stored and published when it is back.
    answer = requests.post(f"{base_url}/webhooks/sautikit/", timeout=10,
                           json=signed("call.failed", "CA-OPS-E2E-2", status="no-answer"))
    assert answer.status_code == 202

    relay.restore()
    assert processes.wait_for(lambda: readiness(base_url)[0] == 200, timeout=45), readiness(base_url)
    # The worker's dispatcher publishes it once the broker is back: nothing answered 2xx is lost.
    # (Same caller: the missed call is a note on the first one's callback ticket.)
    assert processes.wait_for(lambda: WebhookEvent.objects.filter(call_id="CA-OPS-E2E-2", status="done").exists(),
                    timeout=90)
