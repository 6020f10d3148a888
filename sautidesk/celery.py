"""Celery application: `celery -A sautidesk worker` / `celery -A sautidesk beat`."""

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sautidesk.settings")

from . import worker_metrics_dir  # noqa: E402  (reads settings: after DJANGO_SETTINGS_MODULE)

if worker_metrics_dir.is_worker(sys.argv):
    # Before anything imports prometheus-client, which happens when Django loads the apps.
    worker_metrics_dir.make_private_directory()

app = Celery("sautidesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each package's `tasks` module: the event pipeline, operations, the agents' availability refresh.
app.autodiscover_tasks(["integration.processing", "integration.ops", "agents"])
