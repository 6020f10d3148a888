"""Heartbeats: when celery beat and a worker last showed they are alive.

    record("worker")          # in the heartbeat task, run by a worker
    last_seen() → {"beat": datetime | None, "worker": datetime | None}

Beat's heartbeat is written when the heartbeat task is *published* (a
`before_task_publish` handler in `ops_tasks`), the worker's when it *runs*; so
a stale worker heartbeat beside a fresh beat one means the workers are down or
the queue is behind, and both stale means beat is down. Stored in the database,
not the Django cache: the default cache is per process, and the probe may run
in another process on another machine.
"""

from django.utils import timezone

from ..models import Heartbeat

NAMES = ("beat", "worker")


def record(name):
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def last_seen():
    seen = dict(Heartbeat.objects.filter(name__in=NAMES).values_list("name", "at"))
    return {name: seen.get(name) for name in NAMES}
