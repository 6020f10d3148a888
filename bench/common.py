"""What the three benchmarks share: a clean PostgreSQL + Redis, the service's env, signed bodies.

    env = service_env(freshdesk)          # the environment a deployed SautiDesk would have
    reset_state(env)                      # empty bench database and Redis DB (ours only)
    bodies = signed_bodies("call.failed", 1000, distinct_callers=True)

Everything runs on 127.0.0.1: PostgreSQL database `sautidesk_bench`, Redis DB 13
(override with BENCH_DATABASE_URL / BENCH_REDIS_URL). Web and worker are the real
processes, started by `tests/e2e/processes.py`.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402

from integration.sandbox.freshdesk import FreshdeskSandbox  # noqa: E402
from integration.intake.signature import sign  # noqa: E402
from tests.e2e import processes  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sautidesk_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET = "whsec_bench_0c41"
FRESHDESK_KEY = "fd_bench_key"
# gunicorn.conf.py's own default for this machine (2 × cores + 1).
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY", (os.cpu_count() or 1) * 2 + 1))
CALL_ID_IN_DESCRIPTION = re.compile(r"Sautikit call ID: ([\w-]+)")


class TimedFreshdesk(FreshdeskSandbox):
    """The Freshdesk stand-in, noting when each ticket came to exist (`created[id] = time.time()`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.created = {}
        self.statuses = {}
        self.sent_at = []  # when each /api/ request the stand-in let through was answered

    def handle(self, request):
        response = super().handle(request)
        done = time.time()
        with self._lock:
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            if request.path.startswith("/api/") and response.status != 429:
                self.sent_at.append(done)
            if request.method == "POST" and request.path == "/api/v2/tickets" and response.status == 201:
                self.created[json.loads(response.body)["id"]] = done
        return response

    def tickets_by_call(self):
        """call_id → list of ticket ids, read from the description every ticket carries."""
        with self._lock:
            tickets = list(self.tickets.values())
        found = {}
        for ticket in tickets:
            match = CALL_ID_IN_DESCRIPTION.search(ticket.get("description_text") or ticket.get("description", ""))
            found.setdefault(match[1] if match else None, []).append(ticket["id"])
        return found


def service_env(freshdesk_url="http://127.0.0.1:9", **overrides):
    return processes.service_env(
        SECRET_KEY="bench-secret-key-" + "x" * 40, SAUTIKIT_WEBHOOK_SECRET=SECRET,
        SAUTIKIT_API_KEY="sk_bench", SAUTIKIT_API_URL="http://127.0.0.1:9",
        SAUTIKIT_FROM_NUMBER="+254203893800", FRESHDESK_API_KEY=FRESHDESK_KEY,
        FRESHDESK_BASE_URL=freshdesk_url, PUBLIC_BASE_URL="http://127.0.0.1",
        DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL=REDIS_URL, BUSINESS_HOURS="24/7",
        **overrides,
    )


def reset_state(env):
    """Create, migrate and empty the bench database; empty our Redis DB (queue and rate-limit window)."""
    create_database(env["DATABASE_URL"])
    for command in (["migrate", "--no-input", "-v0"], ["flush", "--no-input"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    redis.Redis.from_url(REDIS_URL).flushdb()


def create_database(url):
    """A fresh machine has none of the bench databases yet."""
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def stored_call_ids():
    with psycopg.connect(DATABASE_URL) as conn:
        return {row[0] for row in conn.execute("SELECT call_id FROM integration_webhookevent")}


def queued_messages():
    return redis.Redis.from_url(REDIS_URL).llen("celery")


def signed_bodies(event, count, distinct_callers=False, prefix="bench", **fields):
    """`count` signed bodies with distinct call ids, signed now (valid for 300 s)."""
    now = int(time.time())
    run = f"{prefix}-{now}-{os.getpid()}"
    bodies = []
    for i in range(count):
        call_id = f"{run}-{i}"
        body = {"event": event, "call_id": call_id, "direction": "inbound",
                "from": f"+2547{i % 100_000_000:08d}" if distinct_callers else "+254712345678",
                "to": "+254203893800", **fields, "signed_at": now,
                "signature": sign(SECRET, now, call_id, event)}
        bodies.append(json.dumps(body).encode())
    return bodies


def call_id_of(body):
    return json.loads(body)["call_id"]


def percentile(values, pct):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def summary_ms(latencies):
    """p50/p95/p99/max of seconds, in milliseconds."""
    return {name: round(percentile(latencies, p) * 1000, 1) for name, p in
            (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))} | {
        "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else float("nan")}


def wait_until(check, timeout, interval=0.2):
    """Poll `check()` until true or `timeout` s; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
