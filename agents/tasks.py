"""Celery tasks for agents: keep routing's copy of Freshdesk availability and teams fresh."""

import logging

from celery import shared_task

from integration.clients.freshdesk import FreshdeskError

from .sync import sync_agents
from .teams import sync_teams

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def refresh_availability():
    """Run every 20 s by beat (CELERY_BEAT_SCHEDULE).

    A Freshdesk failure is logged and otherwise ignored: routing goes on with the last
    known availability and the next run tries again, so there is no retry here. A
    configuration error (ImproperlyConfigured) is not caught: it must be seen.
    """
    try:
        result = sync_agents()
    except FreshdeskError as err:
        logger.warning("agent availability not refreshed, keeping the last known", extra={
            "error": type(err).__name__, "freshdesk_status": err.status,
        })
        return None
    return {"created": result.created, "updated": result.updated, "without_phone": result.without_phone}


@shared_task(acks_late=True)
def refresh_teams():
    """Run every 10 minutes by beat: group names and deletions (new groups come sooner, see sync).

    Like the availability refresh, a Freshdesk failure is logged and left for the next run.
    """
    try:
        result = sync_teams()
    except FreshdeskError as err:
        logger.warning("teams not refreshed", extra={
            "error": type(err).__name__, "freshdesk_status": err.status,
        })
        return None
    return {"created": result.created, "renamed": result.renamed, "gone": result.gone}
