"""The Freshdesk app's live polling for a whole desk: 50 agents, each sidebar polling every 3 s.

    .venv/bin/python bench/app_live.py [--agents 50] [--seconds 60] [--workers 5] [--ringing 10]

Gunicorn (gunicorn.conf.py) serves SautiDesk on 127.0.0.1 against PostgreSQL (database
`sautidesk_bench_app`, or BENCH_APP_DATABASE_URL, migrated and emptied first). Every agent
has a login, an agent phone and ten finished calls; `--ringing` of them have an inbound call
ringing, from a caller with an open callback ticket and a contact in the Freshdesk stand-in,
so their polls take the screen-pop path. Each agent starts a session as the app's template
does (app token), then the live tokens poll `/api/freshdesk-app/live/` on a fixed schedule
(open loop: latency counts from when a poll was due, one new connection each as gunicorn's
sync workers close them), then as fast as 8 connections go. Prints p50/p95/p99 and req/s.
"""

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_APP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sautidesk_bench_app")
os.environ.update({"DJANGO_SETTINGS_MODULE": "sautidesk.settings", "DATABASE_URL": DATABASE_URL,
                   "CELERY_BROKER_URL": "memory://", "LOG_LEVEL": "ERROR"})

import load  # noqa: E402
from common import summary_ms  # noqa: E402

from integration.sandbox.freshdesk import FreshdeskSandbox  # noqa: E402
from tests.e2e import processes  # noqa: E402

LIVE_PATH = "/api/freshdesk-app/live/"
APP_ORIGIN = "https://sautidesk-app.freshdev.io"


def prepare(env):
    import psycopg

    base, name = DATABASE_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    for command in (["migrate", "--no-input", "-v0"], ["flush", "--no-input"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)


def make_desk(agents, ringing, freshdesk):
    """Agents with logins and call history; some with a call ringing now. Returns the app token."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection

    from agents.app_tokens import issue_app_token
    from agents.models import AgentPhone
    from integration.models import Call, Ticket

    for n in range(agents):
        user = User.objects.create_user(f"agent{n}", password="bench-pw-1")
        agent = AgentPhone.objects.create(freshdesk_agent_id=1000 + n, name=f"Agent {n}", user=user,
                                          phone=f"+25471100{n:04d}")
        Call.objects.bulk_create(
            Call(call_id=f"bench-out-{n}-{i}", direction="outbound", from_number="+254203893800",
                 to_number=f"+2547220{n:03d}{i:02d}", status="completed", duration_seconds=60 + i,
                 cost_kes=3, agent=agent, placed_by=user) for i in range(10))
        if n < ringing:
            caller = f"+2547330{n:05d}"
            freshdesk.add_contact(f"Caller {n}", phone=caller)
            Ticket.objects.create(freshdesk_id=50_000 + n, kind="callback", requester_number=caller,
                                  callback_open=True, subject=f"Missed call from {caller}")
            Call.objects.create(call_id=f"bench-in-{n}", direction="inbound", from_number=caller,
                                to_number="+254203893800", agent=agent)
    # A pop shows a call for 90 s after it started: these stay "just started" for the whole run.
    from datetime import timedelta

    from django.utils import timezone
    Call.objects.filter(direction="inbound").update(started_at=timezone.now() + timedelta(minutes=5))
    raw = issue_app_token("bench")[1]
    connection.close()
    return raw


def live_tokens(base_url, app_token, agents):
    tokens = []
    for n in range(agents):
        response = requests.post(f"{base_url}/api/freshdesk-app/agents/{1000 + n}/session/",
                                 headers={"Authorization": f"Bearer {app_token}"}, timeout=10)
        response.raise_for_status()
        tokens.append(response.json()["live"]["token"])
    return tokens


def poll_bytes(token):
    return (f"GET {LIVE_PATH} HTTP/1.1\r\nHost: {load.HOST}\r\nAuthorization: Bearer {token}\r\n"
            f"Origin: {APP_ORIGIN}\r\nAccept: application/json\r\nConnection: close\r\n\r\n").encode()


def report(label, results, elapsed):
    statuses = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    print(f"{label}: {len(results)} polls in {elapsed:.1f}s = {len(results) / elapsed:.1f}/s, "
          f"statuses {statuses}, latency ms {summary_ms([r.latency for r in results])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between one sidebar's polls")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--ringing", type=int, default=10)
    args = parser.parse_args()

    with FreshdeskSandbox(api_key="fd_bench_key") as freshdesk:
        env = processes.service_env(
            SECRET_KEY="bench-secret-key-" + "x" * 40, SAUTIKIT_WEBHOOK_SECRET="whsec_bench_app",
            SAUTIKIT_API_KEY="sk_bench", SAUTIKIT_API_URL="http://127.0.0.1:9",
            SAUTIKIT_FROM_NUMBER="+254203893800", FRESHDESK_API_KEY="fd_bench_key",
            FRESHDESK_BASE_URL=freshdesk.base_url, FRESHDESK_DOMAIN="bench.freshdesk.com",
            PUBLIC_BASE_URL="http://127.0.0.1", DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL="memory://",
            LOG_LEVEL="WARNING")
        prepare(env)
        app_token = make_desk(args.agents, args.ringing, freshdesk)
        with processes.web(env, workers=args.workers) as base_url:
            port = int(base_url.rsplit(":", 1)[1])
            tokens = live_tokens(base_url, app_token, args.agents)
            rate = args.agents / args.interval
            count = int(rate * args.seconds)
            raws = [poll_bytes(tokens[i % len(tokens)]) for i in range(count)]
            print(f"{args.agents} agents ({args.ringing} with a call ringing), one poll each per "
                  f"{args.interval:g} s = {rate:.1f} polls/s; gunicorn workers: {args.workers}; "
                  f"load average before: {os.getloadavg()[0]:.2f}")
            report("paced", *asyncio.run(load._paced(port, raws, rate, args.seconds)))
            pops = sum(bool(requests.get(f"{base_url}{LIVE_PATH}", timeout=10, headers={
                "Authorization": f"Bearer {token}"}).json()["incoming"]) for token in tokens)
            print(f"agents with a call popped up after the paced run: {pops}")
            burst = [poll_bytes(tokens[i % len(tokens)]) for i in range(20_000)]
            report("saturated (8 connections, 8 s)", *asyncio.run(load._saturate(port, burst, 8, 8.0)))
            print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
