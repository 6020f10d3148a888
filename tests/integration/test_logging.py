"""What an operator reads: one JSON object per line, with the task id on a worker's lines."""

import io
import json
import logging

import pytest

from integration.processing.tasks import process_event
from sautidesk.logfilters import CeleryTaskFilter
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def console():
    """The configured console handler's output, redirected to a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, CeleryTaskFilter) for f in h.filters))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_worker_log_lines_carry_the_task_id_and_call_id(post_webhook, freshdesk, console):
    post_webhook(signed("call.failed", "CA300"))
    result = process_event.apply((_event_id(),))

    lines = [json.loads(line) for line in console.getvalue().splitlines()]
    done = next(line for line in lines if line["message"] == "event done")
    assert done["task_id"] == result.id
    assert done["call_id"] == "CA300"
    assert done["time"][-5] in "+-"  # ISO time with its UTC offset


def _event_id():
    from integration.models import WebhookEvent

    return WebhookEvent.objects.get().pk
