"""Celery application: `celery -A sautidesk worker` / `celery -A sautidesk beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sautidesk.settings")

app = Celery("sautidesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each package's `tasks` module: the event pipeline, operations, the agents' availability refresh.
app.autodiscover_tasks(["integration.processing", "integration.ops", "agents"])
