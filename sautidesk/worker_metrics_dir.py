"""A Celery worker's own PROMETHEUS_MULTIPROC_DIR, made before prometheus-client is imported.

prometheus-client decides between single- and multi-process mode when it is first imported,
from this variable, in each process; prefork children inherit the environment of the worker's
main process. So a worker that serves its own endpoint (WORKER_METRICS_PORT, see
integration/ops/worker_metrics.py) sets it here, while `celery -A sautidesk` imports the app and
before Django loads any app: every pool child then counts into the directory, and the endpoint
in the main process adds them up, children that were replaced included.

Private even when the operator set a host-wide directory for gunicorn: the web's /metrics adds
up every process that writes into its directory, so a worker writing there too would be counted
twice, once by the web and once by its own endpoint. The directory is new at every start (so
nothing of a previous run is counted) and removed when the main process exits; a worker killed
with SIGKILL leaves it in the temporary directory, where it costs a few kilobytes.
"""

import atexit
import os
import shutil
import tempfile

from django.conf import settings


def is_worker(argv):
    """`celery -A sautidesk worker …` (or `python -m celery …`): the sub-command is a word of its own."""
    program = os.path.normpath(argv[0]) if argv else ""
    is_celery = os.path.basename(program) == "celery" or program.endswith(os.path.join("celery", "__main__.py"))
    return is_celery and "worker" in argv[1:]


def make_private_directory():
    """Point prometheus-client at a fresh directory if this worker serves its metrics; its path."""
    if not settings.WORKER_METRICS_PORT:
        return None
    path = tempfile.mkdtemp(prefix="sautidesk-worker-metrics-")
    # Written, not read: this variable is prometheus-client's own interface (not a setting).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    atexit.register(_remove, path, os.getpid())
    return path


def _remove(path, owner):
    # Forked pool children inherit atexit handlers; only the main process that made it removes it.
    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)
