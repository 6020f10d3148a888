"""Start SautiDesk's real processes (gunicorn web, Celery worker) for end-to-end tests and benches."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def reachable(port, host="127.0.0.1"):
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def require(port=6379, name="Redis"):
    """Skip unless the test database is PostgreSQL and `name` answers on `port` (CI has both)."""
    import pytest
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("end-to-end tests need PostgreSQL on 127.0.0.1:5432 (CI has it)")
    if not reachable(port):
        pytest.skip(f"{name} is not running on 127.0.0.1:{port} (CI starts it)")


def database_url(port=None):
    """The test database, for the processes a test starts (`port`: reached through a relay)."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{port or db['PORT']}/{db['NAME']}"


def wait_for(check, timeout=60, every=0.3):
    """`check()`'s first truthy result within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(every)
    return None


def scrape(url, token):
    """A Prometheus endpoint's samples: {(name, sorted label pairs): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(**overrides):
    """The environment a deployed SautiDesk would have, pointed at test stand-ins."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update({"DJANGO_SETTINGS_MODULE": "sautidesk.settings", "PYTHONUNBUFFERED": "1"})
    env.update({k: str(v) for k, v in overrides.items()})
    return env


@contextmanager
def running(args, env, ready=None, timeout=30, log_name="process", own_group=False):
    """Run a process for the duration of the block; `ready()` must turn true before it starts.

    `own_group` starts it in a process group of its own, so that `kill_group` can kill it
    with all its children at once, as a lost host or the OOM killer would.
    """
    log = open(ROOT / "var" / f"{log_name}.log", "wb") if (ROOT / "var").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=own_group)
    try:
        deadline = time.monotonic() + timeout
        while ready and not ready():
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited with {proc.returncode}; see var/{log_name}.log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} not ready after {timeout}s; see var/{log_name}.log")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log is not subprocess.DEVNULL:
            log.close()


def kill_group(proc):
    """SIGKILL a process started with `own_group` and every child it has: no goodbyes, no acks."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def http_ok(url):
    def check():
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False
    return check


@contextmanager
def web(env, workers=2):
    port = free_port()
    args = [str(BIN / "gunicorn"), "sautidesk.wsgi", "-c", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    with running(args, env, ready=http_ok(f"http://127.0.0.1:{port}/healthz"), log_name=f"web-{port}"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def worker(env, concurrency=2, name="worker", own_group=False):
    args = [str(BIN / "celery"), "-A", "sautidesk", "worker", "--loglevel", "INFO",
            "--concurrency", str(concurrency), "--hostname", f"{name}-{os.getpid()}@%h"]
    with running(args, env, log_name=name, own_group=own_group) as proc:
        yield proc


@contextmanager
def beat(env, schedule_dir, name="beat"):
    """Celery beat as deployed: the sweep every 15 s, the heartbeat, the availability refresh."""
    args = [str(BIN / "celery"), "-A", "sautidesk", "beat", "--loglevel", "INFO",
            "--schedule", str(schedule_dir / "celerybeat-schedule")]
    with running(args, env, log_name=name) as proc:
        yield proc
