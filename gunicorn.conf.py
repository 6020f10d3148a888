"""Gunicorn settings for `gunicorn sautidesk.wsgi -c gunicorn.conf.py`; each says why."""

import multiprocessing
import os

# Where the reverse proxy (which ends TLS) reaches us.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The webhook path is short CPU work plus a DB round trip: processes, not threads, use the cores.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Sautikit waits on call.routing; a stuck request must not hold a worker for long.
timeout = 30
# Let in-flight webhooks finish on deploy/restart, so Sautikit does not have to retry them.
graceful_timeout = 20
# Keep-alive between the proxy and us saves a TCP handshake per webhook.
keepalive = 5
# Recycle workers now and then so slow leaks never matter; jitter avoids restarting all at once.
max_requests = 5000
max_requests_jitter = 500
# Logs to stdout/stderr, where the process manager collects them.
accesslog = "-"
errorlog = "-"
# Load the app once before forking: faster start, less memory.
preload_app = True
