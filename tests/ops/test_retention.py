"""Webhook payloads (customers' numbers) are emptied after the retention period; rows stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integration.models import WebhookEvent
from integration.ops.tasks import prune_payloads_task
from tests.factories import signed

pytestmark = pytest.mark.django_db

Status = WebhookEvent.Status


@pytest.fixture
def events(post_webhook):
    """One stored event per (name, status, age in days)."""

    def make(name, status, days_old):
        post_webhook(signed("call.failed", name, status="no-answer", **{"from": "+254712000999"}))
        WebhookEvent.objects.filter(call_id=name).update(
            status=status, last_error="kept" if status == Status.FAILED else "",
            received_at=timezone.now() - timedelta(days=days_old),
        )

    make("CA-OLD-DONE", Status.DONE, 91)
    make("CA-OLD-IGNORED", Status.IGNORED, 200)
    make("CA-OLD-FAILED", Status.FAILED, 120)
    make("CA-OLD-WAITING", Status.RECEIVED, 95)
    make("CA-RECENT-DONE", Status.DONE, 89)


def payload_kept():
    return {e.call_id: bool(e.raw_body) for e in WebhookEvent.objects.all()}


def test_old_finished_payloads_are_pruned_and_the_rest_kept(events):
    prune_payloads_task()

    assert payload_kept() == {
        "CA-OLD-DONE": False, "CA-OLD-IGNORED": False,
        "CA-OLD-FAILED": True, "CA-OLD-WAITING": True, "CA-RECENT-DONE": True,
    }
    pruned = WebhookEvent.objects.get(call_id="CA-OLD-DONE")
    assert (pruned.status, pruned.event) == (Status.DONE, "call.failed")
    assert "+254712000999" not in pruned.raw_body
    assert WebhookEvent.objects.get(call_id="CA-OLD-FAILED").last_error == "kept"
    assert WebhookEvent.objects.count() == 5


def test_retention_follows_the_setting(events, settings):
    settings.WEBHOOK_PAYLOAD_RETENTION_DAYS = 30

    prune_payloads_task()

    assert payload_kept()["CA-RECENT-DONE"] is False


def test_command_dry_run_counts_and_changes_nothing(events):
    out = StringIO()
    call_command("prune_payloads", "--dry-run", stdout=out)

    assert out.getvalue().strip() == "2 event payloads older than 90 days would be pruned."
    assert all(payload_kept().values())


def test_command_prunes_with_its_own_days(events):
    out = StringIO()
    call_command("prune_payloads", "--days", "10", stdout=out)

    assert out.getvalue().strip() == "3 event payloads older than 10 days pruned."
    call_command("prune_payloads", "--days", "10", stdout=out)
    assert out.getvalue().strip().endswith("0 event payloads older than 10 days pruned.")


def test_command_refuses_a_retention_under_one_day(events):
    with pytest.raises(CommandError, match="at least one day"):
        call_command("prune_payloads", "--days", "0")
    assert all(payload_kept().values())


def test_replaying_a_pruned_event_fails_it_with_a_reason(events, run_worker):
    prune_payloads_task()
    WebhookEvent.objects.exclude(call_id="CA-OLD-DONE").delete()  # only the replay is pending
    WebhookEvent.objects.filter(call_id="CA-OLD-DONE").update(status=Status.RECEIVED)

    run_worker()

    replayed = WebhookEvent.objects.get(call_id="CA-OLD-DONE")
    assert replayed.status == Status.FAILED
    assert replayed.last_error == "stored payload is missing or unreadable"
