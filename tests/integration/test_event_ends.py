"""Every event ends: done, ignored or failed with its reason; never `processing` for ever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import Call, WebhookEvent
from integration.processing import machine
from integration.processing.tasks import requeue_stuck_events
from tests.factories import signed

pytestmark = pytest.mark.django_db(transaction=True)


def test_outbound_event_with_a_superscript_ticket_id_is_handled(post_webhook, run_worker, freshdesk):
    """"²" passes str.isdigit() but not int(): it reads as no ticket id, and the call gets its own."""
    post_webhook(signed("call.completed", "CA-SUP", direction="outbound", duration_seconds=12,
                        metadata={"freshdesk_ticket_id": "²"},
                        **{"from": "+254203893800", "to": "+254733000222"}))
    run_worker()

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE
    ticket = next(iter(freshdesk.tickets.values()))
    assert ticket["subject"] == "Outbound call to +254733000222"


def test_an_event_left_processing_by_a_dead_worker_is_run_again_after_its_lease(post_webhook, run_worker,
                                                                              freshdesk):
    post_webhook(signed("call.failed", "CA-DEAD"))
    event = WebhookEvent.objects.get()
    assert machine.claim(event.pk) is not None  # a worker took it, then died without a word

    requeue_stuck_events()
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSING  # its lease still runs: leave it
    assert event.next_attempt_at - timezone.now() <= machine.PROCESSING_LEASE

    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    requeue_stuck_events()
    run_worker()

    assert WebhookEvent.objects.get().status == WebhookEvent.Status.DONE
    assert len(freshdesk.tickets) == 1
    assert Call.objects.get().ticket is not None
