"""Fields every log line gets, so a worker's lines can be followed by their Celery task."""

import logging

from celery import current_task


class CeleryTaskFilter(logging.Filter):
    """Add `task_id` (and the task's name) to records logged while a Celery task runs."""

    def filter(self, record):
        task = current_task
        request_id = getattr(getattr(task, "request", None), "id", None) if task else None
        if request_id and not hasattr(record, "task_id"):
            record.task_id = request_id
            record.task_name = task.name
        return True
