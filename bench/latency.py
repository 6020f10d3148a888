"""Event → ticket latency: from the webhook POST to the ticket existing in the Freshdesk stand-in.

    .venv/bin/python bench/latency.py [--events 200] [--rate 4] [--workers 2] [--concurrency 4]

Missed calls are posted at a steady rate well under the limit (the shared budget is
on, as in production) to the real web and worker processes; the stand-in answers at
once and notes when each ticket was created. Latency = ticket created − POST sent.
"""

import argparse
import time
from contextlib import ExitStack

import requests

from common import (TimedFreshdesk, call_id_of, processes, reset_state, service_env, signed_bodies,
                    summary_ms, wait_until)


def ticket_times(freshdesk):
    """call_id → when its (first) ticket was created."""
    created = dict(freshdesk.created)
    return {call_id: min(created[i] for i in ids if i in created)
            for call_id, ids in freshdesk.tickets_by_call().items() if any(i in created for i in ids)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0, help="events/s (limit: 10/s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    with TimedFreshdesk(api_key="fd_bench_key", rate_limit_per_minute=600) as freshdesk, ExitStack() as stack:
        env = service_env(freshdesk.base_url, FRESHDESK_RATE_LIMIT_PER_MINUTE=590)
        reset_state(env)
        url = stack.enter_context(processes.web(env, workers=2)) + "/webhooks/sautikit/"
        for n in range(args.workers):
            stack.enter_context(processes.worker(env, args.concurrency, name=f"bench-latency-{n + 1}"))
        session = requests.Session()
        warm = signed_bodies("call.failed", 1, prefix="warm")[0]  # a caller none of the others has
        session.post(url, data=warm, headers={"Content-Type": "application/json"}, timeout=10)
        if not wait_until(lambda: freshdesk.created, timeout=60):
            raise SystemExit("the worker made no ticket within 60 s; see var/bench-latency-*.log")

        bodies = signed_bodies("call.failed", args.events, distinct_callers=True, status="no-answer")
        sent_at, begun = {}, time.perf_counter()
        for i, body in enumerate(bodies):
            time.sleep(max(0.0, begun + i / args.rate - time.perf_counter()))
            sent_at[call_id_of(body)] = time.time()
            response = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
            if response.status_code != 202:
                print(f"webhook answered {response.status_code}: {response.text[:200]}")
        wait_until(lambda: len(ticket_times(freshdesk)) > len(bodies), timeout=60)
        created = ticket_times(freshdesk)

    latencies = [created[c] - sent for c, sent in sent_at.items() if c in created]
    print(f"{len(latencies)}/{len(bodies)} tickets, {args.rate:g} events/s, "
          f"{args.workers} worker(s) x concurrency {args.concurrency}")
    print(f"event -> ticket latency ms: {summary_ms(latencies)}  (target p95 < 250)")


if __name__ == "__main__":
    main()
