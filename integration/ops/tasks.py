"""Operational Celery tasks: the heartbeat and the daily payload pruning.

Celery autodiscovers this module (sautidesk/celery.py); it is also imported from
`IntegrationConfig.ready()` so that workers register these tasks and beat gets
the `before_task_publish` handler that records its own heartbeat.
"""

import logging

from celery import shared_task
from celery.signals import before_task_publish, worker_process_shutdown
from django.db import DatabaseError

from . import heartbeat, retention

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "integration.ops_tasks.heartbeat"


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)
def heartbeat_task():
    """Run by a worker every 30 s (CELERY_BEAT_SCHEDULE): the worker is alive and keeping up."""
    heartbeat.record("worker")


@before_task_publish.connect
def _record_beat_heartbeat(sender=None, **kwargs):
    # Only beat publishes the heartbeat task, so publishing it is beat's heartbeat.
    if sender != HEARTBEAT_TASK:
        return
    try:
        heartbeat.record("beat")
    except DatabaseError as err:
        # The message still goes out; readiness reports the database itself.
        logger.warning("beat heartbeat not recorded", extra={"error": type(err).__name__})


@shared_task(name="integration.ops_tasks.prune_payloads", ignore_result=True)
def prune_payloads_task():
    """Daily: empty the raw payloads of finished events past WEBHOOK_PAYLOAD_RETENTION_DAYS."""
    return retention.prune_payloads()


@worker_process_shutdown.connect
def _mark_metrics_process_dead(pid=None, **kwargs):
    # In prometheus multiprocess mode a dead prefork child's live gauges must be dropped.
    from .metrics import mark_process_dead

    mark_process_dead(pid)
