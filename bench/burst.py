"""Burst drain: 1,000 missed calls at once against a Freshdesk limited to 600 requests/min.

    .venv/bin/python bench/burst.py [--calls 1000] [--limit 600] [--budget 0] [--reserve 0.2]
                                    [--workers 2] [--concurrency 4]

The calls (`call.failed`, distinct call ids and callers, so none folds into another's
callback ticket) are posted to the real web process with no worker running; then the
workers start and we time until every ticket exists in the stand-in. By default nothing
about the limit is configured (the budget learns it from the stand-in's headers). The ideal
is what the limit minus the reserve allows at a steady rate (1,000 at 600 × 0.8 = 480/min:
125 s); efficiency is ideal / measured. The stand-in's busiest 60 s is shown too: it must
stay within the allowed share, so the reserve is left to the account's other apps.
"""

import argparse
import collections
import time
from contextlib import ExitStack

from common import (TimedFreshdesk, call_id_of, processes, reset_state, service_env, signed_bodies,
                    wait_until)
from load import saturate


def timeline(created, started, bucket=10):
    counts = collections.Counter(int((t - started) // bucket) for t in created)
    return " ".join(f"{i * bucket}s:{counts.get(i, 0)}" for i in range(max(counts, default=0) + 1))


def busiest_minute(times):
    times, most, first = sorted(times), 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - 60:
            first += 1
        most = max(most, last - first + 1)
    return most


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=600, help="the stand-in's requests/min")
    parser.add_argument("--budget", type=int, default=0,
                        help="FRESHDESK_RATE_LIMIT_PER_MINUTE (0: not set, learned from the headers)")
    parser.add_argument("--reserve", type=float, default=None,
                        help="FRESHDESK_RATE_LIMIT_RESERVE (default: not set, i.e. 0.2)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="pool size of each worker")
    args = parser.parse_args()

    with TimedFreshdesk(api_key="fd_bench_key", rate_limit_per_minute=args.limit) as freshdesk:
        configured = {"FRESHDESK_RATE_LIMIT_PER_MINUTE": args.budget} if args.budget else {}
        if args.reserve is not None:
            configured["FRESHDESK_RATE_LIMIT_RESERVE"] = args.reserve
        env = service_env(freshdesk.base_url, **configured)
        for name in ("FRESHDESK_RATE_LIMIT_PER_MINUTE", "FRESHDESK_RATE_LIMIT_RESERVE"):
            if name not in configured:
                env.pop(name, None)  # nothing configured: what most users will run
        reset_state(env)
        bodies = signed_bodies("call.failed", args.calls, distinct_callers=True, status="no-answer")
        with processes.web(env, workers=2) as url:
            results, elapsed = saturate(int(url.rsplit(":", 1)[1]), "/webhooks/sautikit/", bodies, 16, 60)
        accepted = {call_id_of(b) for b, r in zip(bodies, results) if r.status == 202}
        print(f"posted {len(bodies)} missed calls in {elapsed:.1f}s: {len(accepted)} accepted")

        reserve = 0.2 if args.reserve is None else args.reserve
        allowed = (args.budget or args.limit) * (1 - reserve)
        ideal = len(accepted) / allowed * 60
        started = time.time()
        with ExitStack() as stack:
            for n in range(args.workers):
                stack.enter_context(processes.worker(env, args.concurrency, name=f"bench-burst-{n + 1}"))
            wait_until(lambda: len(freshdesk.created) >= len(accepted), timeout=3 * ideal + 120, interval=0.2)
            took = (max(freshdesk.created.values()) if freshdesk.created else time.time()) - started
            time.sleep(5)  # a late duplicate would show up here
        by_call = freshdesk.tickets_by_call()
        calls = len(freshdesk.requests)
        limited = freshdesk.statuses.get(429, 0)
        created = list(freshdesk.created.values())
        sent_at = list(freshdesk.sent_at)

    tickets = len(created)
    lost = [c for c in accepted if c not in by_call]
    duplicates = sum(len(ids) - 1 for ids in by_call.values() if len(ids) > 1)
    print(f"{args.workers} worker(s) x concurrency {args.concurrency}, "
          f"FRESHDESK_RATE_LIMIT_PER_MINUTE {args.budget or 'not set'}, "
          f"FRESHDESK_RATE_LIMIT_RESERVE {'not set' if args.reserve is None else args.reserve}, "
          f"stand-in limit {args.limit}/min")
    print(f"{tickets} tickets in {took:.1f}s from worker start (first ticket at "
          f"{min(created, default=started) - started:.1f}s)")
    print(f"ideal at limit minus reserve ({allowed:g}/min) {ideal:.0f}s -> efficiency {ideal / took:.2f} "
          f"(target >= 0.95)")
    print(f"Freshdesk calls {calls} = {calls / max(tickets, 1):.3f} per ticket (target <= 1.05); "
          f"429s {limited}; duplicates {duplicates}; lost {len(lost)}")
    print(f"stand-in's busiest 60 s: {busiest_minute(sent_at)} requests (allowed {allowed:g}, limit {args.limit})")
    print(f"tickets per 10 s: {timeline(created, started)}")


if __name__ == "__main__":
    main()
