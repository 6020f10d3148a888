"""Webhook intake: requests/s of POST /webhooks/sautikit/ beside a bare Django view, then
latency at a fixed 200 requests/s, then exactly one ticket per accepted event.

    .venv/bin/python bench/intake.py [--seconds 5] [--rounds 3] [--rate 200] [--paced-seconds 15]

Web: gunicorn with gunicorn.conf.py on PostgreSQL + Redis, no Celery worker while
measuring (events queue up in Redis). The bare view is the same Django app and
config with one view that returns "ok" (bench/bare_wsgi.py).
"""

import argparse
import collections
import os
import statistics
import time
from contextlib import contextmanager

from common import (REDIS_URL, WEB_WORKERS, TimedFreshdesk, call_id_of, processes, queued_messages,
                    reset_state, service_env, signed_bodies, stored_call_ids, summary_ms, wait_until)
from load import paced, saturate

WEBHOOK = "/webhooks/sautikit/"
CONNECTIONS = 16


def rps(results, elapsed):
    """Successful (2xx) requests per second."""
    return sum(200 <= r.status < 300 for r in results) / elapsed


def statuses(results):
    return dict(collections.Counter(r.status for r in results))


@contextmanager
def bare_web(env):
    port = processes.free_port()
    args = [str(processes.BIN / "gunicorn"), "bench.bare_wsgi", "-c", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--workers", str(WEB_WORKERS)]
    with processes.running(args, env, ready=processes.http_ok(f"http://127.0.0.1:{port}/healthz"),
                           log_name="bench-bare"):
        yield port


def show(name, results, elapsed):
    print(f"{name:<12}: {rps(results, elapsed):7.0f} req/s  ({len(results)} requests in {elapsed:.1f}s, "
          f"statuses {statuses(results)}, latency ms {summary_ms([r.latency for r in results])})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each saturation run")
    parser.add_argument("--rounds", type=int, default=3, help="bare/webhook pairs, alternated")
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s of the paced run")
    parser.add_argument("--paced-seconds", type=float, default=15.0)
    args = parser.parse_args()

    env = service_env()
    reset_state(env)
    print(f"gunicorn workers: {WEB_WORKERS}, client connections: {CONNECTIONS}, broker: {REDIS_URL}, "
          f"load average before: {os.getloadavg()[0]:.2f}")

    sent, ratios = [], []
    filler = signed_bodies("call.answered", 1)[0]  # the bare view gets a webhook-sized body
    with bare_web(env) as bare_port, processes.web(env, workers=WEB_WORKERS) as url:
        port = int(url.rsplit(":", 1)[1])
        saturate(bare_port, "/bench/bare/", [filler] * 300, CONNECTIONS, 5)  # warm-up
        warm = signed_bodies("call.answered", 300, prefix="warm")
        sent += zip(warm, saturate(port, WEBHOOK, warm, CONNECTIONS, 5)[0])
        # Alternate the two, so a change in the machine's other load hits both alike.
        for round_ in range(1, args.rounds + 1):
            bare, bare_elapsed = saturate(bare_port, "/bench/bare/", [filler] * 100_000, CONNECTIONS,
                                          args.seconds)
            show(f"bare #{round_}", bare, bare_elapsed)
            bodies = signed_bodies("call.answered", int(args.seconds * 3000), prefix=f"sat{round_}")
            hook, hook_elapsed = saturate(port, WEBHOOK, bodies, CONNECTIONS, args.seconds)
            sent += zip(bodies, hook)
            show(f"webhook #{round_}", hook, hook_elapsed)
            ratios.append(rps(hook, hook_elapsed) / rps(bare, bare_elapsed))
        print(f"ratio webhook/bare: median {statistics.median(ratios):.2f} "
              f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}; target >= 0.35)")

        bodies = signed_bodies("call.answered", int(args.rate * args.paced_seconds), prefix="paced")
        steady, steady_elapsed = paced(port, WEBHOOK, bodies, args.rate, args.paced_seconds)
        sent += zip(bodies, steady)
        print(f"paced {args.rate:.0f}/s : {len(steady)} requests in {steady_elapsed:.1f}s, "
              f"statuses {statuses(steady)}, latency ms {summary_ms([r.latency for r in steady])}"
              f"  (target p99 < 50)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")

    accepted = {call_id_of(body) for body, result in sent if result.status == 202}
    stored = stored_call_ids()  # also requests the client gave up on but the server finished
    print(f"accepted {len(accepted)} events ({len(stored)} stored), {queued_messages()} tasks queued "
          f"(the workers' dispatchers publish them); starting a worker")
    with TimedFreshdesk(api_key=env["FRESHDESK_API_KEY"]) as freshdesk:
        env = service_env(freshdesk.base_url)
        started = time.monotonic()
        with processes.worker(env, concurrency=4, name="bench-intake-worker"):
            wait_until(lambda: stored <= freshdesk.tickets_by_call().keys(), timeout=900, interval=2)
            time.sleep(3)  # a late duplicate would show up here
        drained = time.monotonic() - started
        by_call = freshdesk.tickets_by_call()
    duplicates = sum(len(ids) - 1 for ids in by_call.values() if len(ids) > 1)
    print(f"worker: {sum(map(len, by_call.values()))} tickets in {drained:.0f}s; accepted but not stored "
          f"{len(accepted - stored)}; duplicates {duplicates}; lost {len(stored - by_call.keys())}; "
          f"tickets for no stored event {len(by_call.keys() - stored)}")


if __name__ == "__main__":
    main()
