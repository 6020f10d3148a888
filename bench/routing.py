"""call.routing latency: how long a caller's routing question waits for its voice actions.

    .venv/bin/python bench/routing.py [--calls 3000] [--clients 4] [--agents 150] [--workers 5]

Gunicorn (gunicorn.conf.py when present) serves SautiDesk on 127.0.0.1 against PostgreSQL
(database `sautidesk_bench_routing`, or BENCH_ROUTING_DATABASE_URL). The Freshdesk stand-in
answers /api/v2/agents only after 2 s, and the availability task
(`agents.tasks.refresh_availability`) runs back to back the whole time, so every 2 s it
rewrites all agent rows: harsher than beat's 20 s. `--clients` loops each take a call: a
signed `call.routing` (timed, one new connection, as gunicorn's sync workers close each
one) then an untimed `call.completed` so that agents come free again. Prints p50/p90/p99.

With `--menu`, the agents are split between two Freshdesk groups (Sales, Support), the
voice menu sends key 1 to Sales and 2 to Support, and each call is two timed answers: the
first `call.routing` (the menu) and the one with `digits` (1 and 2 in turn: the team's
longest-idle free agent), each reported on its own.
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
from concurrent.futures import ThreadPoolExecutor
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
from integration.intake.signature import sign  # noqa: E402
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


def refresh_loop(stop, runs, errors):
    import django
    from django.db import connection

    django.setup()
    from agents.tasks import refresh_availability

    while not stop.is_set():
        started = time.monotonic()
        try:
            refresh_availability()
        except Exception as err:  # e.g. a database error: count it, keep refreshing
            errors.append(type(err).__name__)
            continue
        runs.append(time.monotonic() - started)
    connection.close()


MENU_STEP, CHOICE_STEP, ROUTING_STEP = "menu (first call.routing)", "choice (call.routing with digits)", \
    "call.routing"


def timed_post(port, payload, since):
    try:
        status, raw = post(port, payload)
    except OSError:
        status, raw = 0, b""
    return status, raw, time.perf_counter() - since


def take_call(port, call_id, scheduled, latencies, outcomes):
    """Route one call (timed from `scheduled`, so a late start counts), then end it (untimed).

    With the menu (`MENU_STEP` in `latencies`), the routing is two answers, each timed: the
    menu, then the choice (made as soon as the menu is answered).
    """
    menu = MENU_STEP in latencies
    status, raw, took = timed_post(port, body("call.routing", call_id), scheduled)
    latencies[MENU_STEP if menu else ROUTING_STEP].append(took)
    if status == 200 and menu:
        if "getDigits" not in raw.decode():
            outcomes["no menu"] += 1
            return
        key = "1" if sum(map(ord, call_id)) % 2 else "2"
        status, raw, took = timed_post(port, body("call.routing", call_id, digits=key), time.perf_counter())
        latencies[CHOICE_STEP].append(took)
    if status != 200:
        outcomes[f"HTTP {status}"] += 1
        return
    actions = [next(iter(a)) for a in json.loads(raw)["actions"]]
    outcomes["dialled" if "dial" in actions else "busy"] += 1
    post(port, body("call.completed", call_id, duration_seconds=60))


def closed_loop(port, calls, clients, latencies, outcomes, prefix="c"):
    """`clients` loops, each taking its next call as soon as the last one ended."""
    def loop(client):
        for n in range(calls // clients):
            take_call(port, f"bench-routing-{os.getpid()}-{prefix}{client}-{n}", time.perf_counter(),
                      latencies, outcomes)

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def paced(port, calls, rate, latencies, outcomes):
    """Calls arriving at a fixed `rate` a second whatever the answers' speed (open loop)."""
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for n in range(calls):
            scheduled = began + n / rate
            time.sleep(max(0.0, scheduled - time.perf_counter()))
            pool.submit(take_call, port, f"bench-routing-{os.getpid()}-p-{n}", scheduled,
                        latencies, outcomes)


def baseline(port, rounds, menu=False):
    """One client, requests interleaved so all kinds see the same machine load.

    The gap between call.failed (store only) and call.routing is routing's own cost;
    /healthz is Django and gunicorn with no database at all.
    """
    timings = collections.defaultdict(list)
    for n in range(rounds):
        call_id = f"bench-base-{os.getpid()}-{n}"
        kinds = (("healthz", None), ("call.failed (intake only)", body("call.failed", call_id + "f")),
                 (MENU_STEP if menu else ROUTING_STEP, body("call.routing", call_id)))
        if menu:
            kinds += ((CHOICE_STEP, body("call.routing", call_id, digits=str(n % 2 + 1))),)
        for name, payload in kinds:
            started = time.perf_counter()
            if payload is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
            else:
                post(port, payload)
            timings[name].append(time.perf_counter() - started)
        post(port, body("call.completed", call_id, duration_seconds=60))
    return timings


def set_up_menu(freshdesk, agents):
    """Two groups splitting the agents, and the menu: 1 → Sales, 2 → Support (default Support)."""
    import django

    django.setup()
    from agents.models import Team
    from integration.models import Menu, MenuOption

    freshdesk.add_group("Sales", id=71, agent_ids=range(1, agents // 2 + 1))
    freshdesk.add_group("Support", id=72, agent_ids=range(agents // 2 + 1, agents + 1))
    return lambda: _menu_rows(Menu, MenuOption, Team)


def _menu_rows(Menu, MenuOption, Team):
    sales, support = Team.objects.get(freshdesk_group_id=71), Team.objects.get(freshdesk_group_id=72)
    menu = Menu.objects.create(number="+254203893800", default_team=support)
    MenuOption.objects.create(menu=menu, key="1", label_en="sales", label_sw="mauzo", team=sales)
    MenuOption.objects.create(menu=menu, key="2", label_en="customer support", label_sw="usaidizi",
                              team=support)


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="routing requests in all")
    parser.add_argument("--rate", type=float, default=25,
                        help="calls arriving a second (0: --clients closed loops instead)")
    parser.add_argument("--clients", type=int, default=4,
                        help="with --rate 0: loops each taking a call as soon as the last ended")
    parser.add_argument("--agents", type=int, default=150, help="agents in Freshdesk (100 a page)")
    parser.add_argument("--baseline", type=int, default=300,
                        help="sequential rounds of healthz / call.failed / call.routing first (0: none)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                        help="gunicorn workers (gunicorn.conf.py's default: 2 × cores + 1)")
    parser.add_argument("--menu", action="store_true",
                        help="route through a two-team voice menu: two timed answers a call")
    args = parser.parse_args()

    with FreshdeskSandbox(api_key=FRESHDESK_KEY) as freshdesk:
        for n in range(1, args.agents + 1):
            freshdesk.add_agent(id=n, name=f"Agent {n}", mobile=f"+254711{n:06d}", available=n % 3 != 0)
        env = service_env(freshdesk.base_url)
        os.environ["FRESHDESK_BASE_URL"] = freshdesk.base_url
        menu_rows = set_up_menu(freshdesk, args.agents) if args.menu else None
        prepare(env)
        subprocess.run([sys.executable, "manage.py", "sync_agents"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        if menu_rows:
            menu_rows()
        freshdesk.delay("/api/v2/agents", AGENTS_DELAY)

        port = processes.free_port()
        ready = processes.http_ok(f"http://{HOST}:{port}/healthz")
        with processes.running(web_args(port, args.workers), env, ready=ready, log_name="bench-routing-web"):
            stop, runs, refresh_errors = threading.Event(), [], []
            refresher = threading.Thread(target=refresh_loop, args=(stop, runs, refresh_errors), daemon=True)
            refresher.start()
            steps = (MENU_STEP, CHOICE_STEP) if args.menu else (ROUTING_STEP,)
            closed_loop(port, 20, 1, {step: [] for step in steps}, collections.Counter(), prefix="warmup")
            load_before = os.getloadavg()[0]
            base = baseline(port, args.baseline, args.menu) if args.baseline else {}
            latencies, outcomes = {step: [] for step in steps}, collections.Counter()
            began = time.perf_counter()
            if args.rate:
                paced(port, args.calls, args.rate, latencies, outcomes)
            else:
                closed_loop(port, args.calls, args.clients, latencies, outcomes)
            elapsed = time.perf_counter() - began
            stop.set()
            refresher.join(timeout=AGENTS_DELAY + 10)

    for name, values in base.items():
        print(f"baseline, 1 client, {name}: p50 {percentile(values, 50) * 1000:.1f} ms"
              f"  p99 {percentile(values, 99) * 1000:.1f} ms")
    arrival = f"{args.rate:g} calls/s" if args.rate else f"{args.clients} closed-loop clients"
    menu = ", through a two-team voice menu" if args.menu else ""
    p99s = []
    for step, values in latencies.items():
        ms = {name: percentile(values, pct) * 1000 for name, pct in (("p50", 50), ("p90", 90), ("p99", 99))}
        p99s.append(ms["p99"])
        print(f"{step}: {len(values)} requests, {arrival}{menu}, {args.workers} gunicorn "
              f"workers, {args.agents} agents, Freshdesk /agents delayed {AGENTS_DELAY:.0f} s")
        print("latency ms: " + "  ".join(f"{k} {v:.1f}" for k, v in ms.items())
              + f"  max {max(values) * 1000:.1f}  mean {statistics.fmean(values) * 1000:.1f}")
    answers = sum(len(values) for values in latencies.values())
    print(f"throughput: {answers / elapsed:.0f} routing answers/s (plus a call.completed a call)")
    print(f"outcomes: {dict(outcomes)}")
    print(f"availability refreshes during the run: {len(runs)} (each {statistics.fmean(runs):.1f} s)"
          if runs else "availability refreshes during the run: none finished")
    if refresh_errors:
        print(f"availability refreshes that failed: {collections.Counter(refresh_errors)}")
    print(f"machine load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"on {os.cpu_count()} cores")
    return 0 if max(p99s) < 100 and set(outcomes) <= {"dialled", "busy"} and not refresh_errors else 1


if __name__ == "__main__":
    sys.exit(main())
