"""A Celery worker's own Prometheus endpoint: http://WORKER_METRICS_ADDRESS:WORKER_METRICS_PORT/metrics.

The usual pattern for Celery: each worker process group (the main process and its prefork
children) is a scrape target of its own, so a host that runs workers and no web process is
scraped too. It serves the process counters of this worker's processes only (Freshdesk requests
by status, event retries, events finished: see metrics.py), which the pool children write into
the worker's private PROMETHEUS_MULTIPROC_DIR (sautidesk/worker_metrics_dir.py). It does not
serve the database facts (events by status, tickets created, queue lag): the web's /metrics
has them, and every worker repeating them would multiply them in any sum over targets.

Same protection as the web's /metrics: `Authorization: Bearer $METRICS_TOKEN`. A worker has no
logins, so while METRICS_TOKEN is empty it refuses every scrape (403, saying why). A port
already taken is a warning in the log, never a worker that stops: its calls matter more than
its counters.

The server is a daemon thread of the worker's main process, started at `worker_init`: before
the pool forks, and while the worker may still be waiting for its broker (Prometheus' `up` then
says "process alive"; /readyz says whether it can work).
"""

import logging
import socket
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery.signals import worker_init
from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import metrics

logger = logging.getLogger(__name__)

PATH = "/metrics"


def _refusal():
    if settings.METRICS_TOKEN:
        why = "No valid token was sent."
    else:
        why = "METRICS_TOKEN is not set, so this worker's endpoint refuses every scrape."
    return (f"Forbidden. {why}\n\n"
            "This is a Celery worker's own Prometheus endpoint (WORKER_METRICS_PORT). Send the token\n"
            "that METRICS_TOKEN holds: 'Authorization: Bearer <token>' (Prometheus:\n"
            "authorization: {credentials_file: ...} in the scrape config).\n"
            "It serves this worker's process counters only; the database facts are on the web's /metrics.\n"
            "See docs/deploy.md, \"Worker metrics\".\n").encode()


def metrics_app(environ, start_response):
    """WSGI: the worker's process counters at /metrics, for the bearer token only."""
    if environ.get("PATH_INFO") != PATH:
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"Not found: the metrics are at {PATH}\n".encode()]
    if not metrics.bearer_token_valid(environ.get("HTTP_AUTHORIZATION", "")):
        start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
        return [_refusal()]
    body = generate_latest(metrics.process_registry())
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


class _Server(ThreadingMixIn, WSGIServer):
    # A scrape in progress never holds up the worker's exit.
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    # A client that connects and sends nothing does not keep a thread forever.
    timeout = 10

    def log_message(self, format, *args):
        # One line per scrape every 15-60 s is noise; refusals show in Prometheus as the target's error.
        pass


def serve(address, port):
    """Serve `metrics_app` on address:port from a daemon thread; the server, or None if the port
    cannot be had (logged: the worker goes on without its endpoint)."""
    server_class = _Server6 if ":" in address else _Server
    try:
        server = make_server(address, port, metrics_app, server_class=server_class,
                             handler_class=_QuietHandler)
    except OSError as err:
        logger.warning("worker metrics endpoint not started: the worker runs on without it",
                       extra={"address": address, "port": port, "error": str(err)})
        return None
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("worker metrics endpoint listening",
                extra={"address": address, "port": server.server_port, "path": PATH})
    return server


@worker_init.connect
def _serve_worker_metrics(**kwargs):
    port = settings.WORKER_METRICS_PORT
    if not port:
        return
    if not metrics.multiprocess_mode():
        # sautidesk/celery.py did not recognise a worker: only the main process would be counted.
        logger.warning("worker metrics: PROMETHEUS_MULTIPROC_DIR is not set, so the pool "
                       "processes' counters cannot be served")
    if not settings.METRICS_TOKEN:
        logger.warning("worker metrics endpoint refuses every scrape: METRICS_TOKEN is not set")
    serve(settings.WORKER_METRICS_ADDRESS, port)
