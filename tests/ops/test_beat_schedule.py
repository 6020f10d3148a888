"""Every beat entry names a task that a worker registers (a typo would be dropped silently)."""

import pytest
from django.conf import settings

from sautidesk.celery import app


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_beat_entry_names_a_registered_task(entry):
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery and ready()

    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in app.tasks


def test_heartbeat_is_frequent_enough_for_the_readiness_threshold():
    seconds = settings.CELERY_BEAT_SCHEDULE["heartbeat"]["schedule"]

    # Two missed beats in a row, not one late one, should make the service unready.
    assert 2 * seconds <= settings.READINESS_MAX_HEARTBEAT_AGE

