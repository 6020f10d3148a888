"""call.routing latency: how long a caller's routing question waits for its voice actions.

    .venv/bin/python bench/routing.py [--calls 3000] [--clients 4] [--agents 150] [--workers 5]

Gunicorn (gunicorn.conf.py when present) serves SautiDesk on 127.0.0.1 against PostgreSQL
(database `sautidesk_bench_routing`, or BENCH_ROUTING_DATABASE_URL). The Freshdesk stand-in
answers /api/v2/agents only after 2 s, and the availability task
(`agents.tasks.refresh_availability`) runs back to back the whole time, so every 2 s it
rewrites all agent rows: harsher than beat's 20 s. `--clients` loops each take a call: a
signed `call.routing` (timed, one new connection, as gunicorn's sync workers close each
one) then an untimed `call.completed` so that agents come free again. Prints p50/p90/p99.
"""

import argparse
import collections
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_ROUTING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sautidesk_bench_routing"
)
SECRET = "whsec_bench_routing"
FRESHDESK_KEY = "fd_bench_key"
AGENTS_DELAY = 2.0
HOST = "127.0.0.1"

# The bench process itself runs the availability task: it needs the same settings.
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "sautidesk.settings", "DATABASE_URL": DATABASE_URL,
    "FRESHDESK_API_KEY": FRESHDESK_KEY, "CELERY_BROKER_URL": "memory://", "LOG_LEVEL": "ERROR",
    # Long enough for the 2 s delay: the task must succeed, only slowly.
    "FRESHDESK_READ_TIMEOUT": "5",
})

from integration.sandbox.freshdesk import FreshdeskSandbox  # noqa: E402
from integration.signature import sign  # noqa: E402
from tests.e2e import processes  # noqa: E402


def service_env(freshdesk_url):
    return processes.service_env(
        SECRET_KEY="bench-secret-key-" + "x" * 40, SAUTIKIT_WEBHOOK_SECRET=SECRET,
        SAUTIKIT_API_KEY="sk_bench", SAUTIKIT_API_URL="http://127.0.0.1:9",
        SAUTIKIT_FROM_NUMBER="+254203893800", FRESHDESK_BASE_URL=freshdesk_url,
        PUBLIC_BASE_URL="http://127.0.0.1", BUSINESS_HOURS="24/7", LOG_LEVEL="WARNING",
    )


def create_database():
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(env):
    create_database()
    for command in (["migrate", "--no-input", "-v0"], ["flush", "--no-input"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)


def web_args(port, workers):
    args = [str(processes.BIN / "gunicorn"), "sautidesk.wsgi", "--bind", f"{HOST}:{port}",
            "--workers", str(workers)]
    if (ROOT / "gunicorn.conf.py").exists():
        args[2:2] = ["-c", "gunicorn.conf.py"]
    return args


def body(event, call_id, **fields):
    now = int(time.time())
    return json.dumps({"event": event, "call_id": call_id, "from": "+254712345678",
                       "to": "+254203893800", **fields, "signed_at": now,
                       "signature": sign(SECRET, now, call_id, event)}).encode()


def post(port, payload):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("POST", "/webhooks/sautikit/", payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def refresh_loop(stop, runs):
    import django
    from django.db import connection

    django.setup()
    from agents.tasks import refresh_availability

    while not stop.is_set():
        started = time.monotonic()
        refresh_availability()
        runs.append(time.monotonic() - started)
    connection.close()


def take_calls(port, count, client, latencies, outcomes):
    for n in range(count):
        call_id = f"bench-routing-{os.getpid()}-{client}-{n}"
        payload = body("call.routing", call_id)
        started = time.perf_counter()
        try:
            status, raw = post(port, payload)
        except OSError:
            status, raw = 0, b""
        latencies.append(time.perf_counter() - started)
        if status != 200:
            outcomes[f"HTTP {status}"] += 1
            continue
        actions = [next(iter(a)) for a in json.loads(raw)["actions"]]
        outcomes["dialled" if "dial" in actions else "busy"] += 1
        post(port, body("call.completed", call_id, duration_seconds=60))


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="routing requests in all")
    parser.add_argument("--clients", type=int, default=4, help="calls in flight at once")
    parser.add_argument("--agents", type=int, default=150, help="agents in Freshdesk (100 a page)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                        help="gunicorn workers (gunicorn.conf.py's default: 2 × cores + 1)")
    args = parser.parse_args()

    with FreshdeskSandbox(api_key=FRESHDESK_KEY) as freshdesk:
        for n in range(1, args.agents + 1):
            freshdesk.add_agent(id=n, name=f"Agent {n}", mobile=f"+254711{n:06d}", available=n % 3 != 0)
        env = service_env(freshdesk.base_url)
        os.environ["FRESHDESK_BASE_URL"] = freshdesk.base_url
        prepare(env)
        subprocess.run([sys.executable, "manage.py", "sync_agents"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        freshdesk.delay("/api/v2/agents", AGENTS_DELAY)

        port = processes.free_port()
        ready = processes.http_ok(f"http://{HOST}:{port}/healthz")
        with processes.running(web_args(port, args.workers), env, ready=ready, log_name="bench-routing-web"):
            stop, runs = threading.Event(), []
            refresher = threading.Thread(target=refresh_loop, args=(stop, runs), daemon=True)
            refresher.start()
            take_calls(port, 20, "warmup", [], collections.Counter())
            latencies, outcomes = [], collections.Counter()
            per_client = args.calls // args.clients
            clients = [threading.Thread(target=take_calls, args=(port, per_client, c, latencies, outcomes))
                       for c in range(args.clients)]
            began = time.perf_counter()
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            elapsed = time.perf_counter() - began
            stop.set()
            refresher.join(timeout=AGENTS_DELAY + 10)

    ms = {name: percentile(latencies, pct) * 1000 for name, pct in (("p50", 50), ("p90", 90), ("p99", 99))}
    print(f"call.routing: {len(latencies)} requests, {args.clients} clients, {args.workers} gunicorn "
          f"workers, {args.agents} agents, Freshdesk /agents delayed {AGENTS_DELAY:.0f} s")
    print("latency ms: " + "  ".join(f"{k} {v:.1f}" for k, v in ms.items())
          + f"  max {max(latencies) * 1000:.1f}  mean {statistics.fmean(latencies) * 1000:.1f}")
    print(f"throughput: {len(latencies) / elapsed:.0f} routing answers/s (plus as many call.completed)")
    print(f"outcomes: {dict(outcomes)}")
    print(f"availability refreshes during the run: {len(runs)} (each {statistics.fmean(runs):.1f} s)"
          if runs else "availability refreshes during the run: none finished")
    return 0 if ms["p99"] < 100 and set(outcomes) <= {"dialled", "busy"} else 1


if __name__ == "__main__":
    sys.exit(main())
