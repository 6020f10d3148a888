"""A worker's own metrics endpoint, in-process: who may read it, and a port that is already taken.

What a real worker serves, with its pool's counters, is in test_worker_metrics_e2e.py.
"""

import logging
import socket

import pytest
import requests
from django.core.checks import run_checks

from integration.ops import worker_metrics
from sautidesk.worker_metrics_dir import is_worker

TOKEN = "worker-metrics-token-for-tests"


@pytest.fixture
def endpoint(settings):
    settings.METRICS_TOKEN = TOKEN
    server = worker_metrics.serve("127.0.0.1", 0)  # in-process, the OS may choose
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_token_reads_the_process_counters(endpoint):
    response = requests.get(f"{endpoint}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "sautidesk_freshdesk_requests" in response.text
    assert "sautidesk_queue_lag_seconds" not in response.text  # the web's /metrics has the database facts


def test_with_no_token_configured_every_scrape_is_refused_saying_why(endpoint, settings):
    settings.METRICS_TOKEN = ""

    response = requests.get(f"{endpoint}/metrics", headers={"Authorization": "Bearer "}, timeout=5)

    assert response.status_code == 403
    assert "METRICS_TOKEN is not set, so this worker's endpoint refuses every scrape." in response.text
    assert "the database facts are on the web's /metrics" in response.text


def test_other_paths_are_not_found(endpoint):
    response = requests.get(f"{endpoint}/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)

    assert response.status_code == 404
    assert "/metrics" in response.text


def test_a_port_already_taken_is_logged_and_the_worker_goes_on(caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="integration.ops.worker_metrics"):
            server = worker_metrics.serve("127.0.0.1", port)

    assert server is None
    [record] = caplog.records
    assert record.getMessage() == "worker metrics endpoint not started: the worker runs on without it"
    assert record.port == port
    assert "in use" in record.error


def test_check_warns_when_the_worker_endpoint_has_no_token(settings):
    settings.WORKER_METRICS_PORT, settings.METRICS_TOKEN = 9541, ""
    assert "sautidesk.W030" in [message.id for message in run_checks()]

    settings.METRICS_TOKEN = TOKEN
    assert "sautidesk.W030" not in [message.id for message in run_checks()]


@pytest.mark.parametrize("argv, worker", [
    (["/srv/sautidesk/.venv/bin/celery", "-A", "sautidesk", "worker", "--loglevel", "INFO"], True),
    (["/usr/lib/python3/site-packages/celery/__main__.py", "-A", "sautidesk", "worker"], True),
    (["celery", "-A", "sautidesk", "beat", "--schedule", "var/celerybeat-schedule"], False),
    (["/srv/sautidesk/.venv/bin/pytest", "-k", "worker"], False),
    (["gunicorn", "sautidesk.wsgi", "-c", "gunicorn.conf.py"], False),
], ids=["celery-worker", "python-m-celery", "beat", "pytest", "gunicorn"])
def test_only_the_celery_worker_command_counts_as_a_worker(argv, worker):
    assert is_worker(argv) is worker
