"""Replaying webhook events: failed ones get their effect once, done ones change nothing."""

import pytest
from django.core.management import CommandError, call_command

from integration.models import WebhookEvent
from tests.factories import signed

pytestmark = pytest.mark.django_db

EVENTS = "/admin/integration/webhookevent/"


def freshdesk_writes(freshdesk):
    return [r for r in freshdesk.requests if r["method"] in ("POST", "PUT")]


def notes_count(freshdesk):
    return sum(len(notes) for notes in freshdesk.notes.values())


@pytest.fixture
def failed_missed_call(post_webhook, run_worker, freshdesk):
    """A missed call whose ticket Freshdesk refused (400), so the event is failed."""
    post_webhook(signed("call.failed", "CA300", status="no-answer"))
    freshdesk.fail_next(400, path_prefix="/api/v2/tickets", method="POST")
    run_worker()
    event = WebhookEvent.objects.get(call_id="CA300")
    assert event.status == WebhookEvent.Status.FAILED
    assert "Freshdesk refused" in event.last_error
    assert freshdesk.tickets == {}
    return event


def test_replaying_a_failed_event_after_freshdesk_recovers_creates_the_ticket_once(
        supervisor_client, failed_missed_call, run_worker, freshdesk):
    response = supervisor_client.post(EVENTS, {"action": "replay_events",
                                               "_selected_action": [failed_missed_call.pk]}, follow=True)
    assert "Replaying 1 event(s)" in response.content.decode()
    failed_missed_call.refresh_from_db()
    assert failed_missed_call.status == WebhookEvent.Status.RECEIVED

    run_worker()
    run_worker()

    assert len(freshdesk.tickets) == 1
    ticket = next(iter(freshdesk.tickets.values()))
    assert "callback_needed" in ticket["tags"]
    failed_missed_call.refresh_from_db()
    assert failed_missed_call.status == WebhookEvent.Status.DONE


def test_replaying_done_events_changes_nothing_in_freshdesk(
        supervisor_client, post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.answered", "CA310"))
    post_webhook(signed("call.completed", "CA310", duration_seconds=42))
    post_webhook(signed("recording.ready", "CA310", recording_url="https://rec.sautikit.example/a.mp3?sig=x",
                        recording_duration_seconds=42))
    post_webhook(signed("call.failed", "CA311", status="busy", **{"from": "0722000111"}))
    post_webhook(signed("call.completed", "CA312", direction="outbound", duration_seconds=60,
                        **{"from": "+254203893800", "to": "+254722000111"}))
    run_worker()
    done = list(WebhookEvent.objects.values_list("pk", flat=True))
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}
    before = (len(freshdesk.tickets), notes_count(freshdesk), len(freshdesk_writes(freshdesk)))
    assert before == (2, 3, 6)  # 2 tickets, 3 notes, 1 tag update

    supervisor_client.post(EVENTS, {"action": "replay_events", "_selected_action": done})
    assert WebhookEvent.objects.filter(status="received").count() == len(done)
    run_worker()

    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"done"}
    assert (len(freshdesk.tickets), notes_count(freshdesk), len(freshdesk_writes(freshdesk))) == before


def test_an_event_being_processed_is_not_replayed(supervisor_client, post_webhook, freshdesk):
    post_webhook(signed("call.failed", "CA320"))
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.PROCESSING)

    page = supervisor_client.post(EVENTS, {"action": "replay_events", "_selected_action": [event.pk]},
                                  follow=True).content.decode()

    assert f"Event {event.pk} not replayed: it is processing" in page
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSING


def test_replay_button_on_the_event_page(supervisor_client, failed_missed_call, run_worker, freshdesk):
    page = supervisor_client.get(f"{EVENTS}{failed_missed_call.pk}/change/").content.decode()
    assert 'id="replay-event"' in page

    response = supervisor_client.post(f"{EVENTS}{failed_missed_call.pk}/replay/")
    assert response.status_code == 302
    run_worker()

    failed_missed_call.refresh_from_db()
    assert failed_missed_call.status == WebhookEvent.Status.DONE
    assert len(freshdesk.tickets) == 1


def test_replay_events_command_replays_failed_events(failed_missed_call, run_worker, freshdesk, capsys):
    call_command("replay_events", "--status", "failed", "--event", "call.failed")

    assert f"Replayed 1 event(s): {failed_missed_call.pk}" in capsys.readouterr().out
    run_worker()
    assert len(freshdesk.tickets) == 1
    failed_missed_call.refresh_from_db()
    assert failed_missed_call.status == WebhookEvent.Status.DONE


def test_replay_events_command_says_when_there_is_nothing_to_do(capsys):
    call_command("replay_events", "--status", "failed")
    assert "No events to replay." in capsys.readouterr().out


def test_replay_events_command_fails_for_unknown_ids_and_without_a_selection(failed_missed_call):
    with pytest.raises(CommandError, match="no matching event with id 999999"):
        call_command("replay_events", "--id", str(failed_missed_call.pk), "999999")
    with pytest.raises(CommandError, match="say which events"):
        call_command("replay_events")
    failed_missed_call.refresh_from_db()
    assert failed_missed_call.status == WebhookEvent.Status.FAILED


def test_replay_events_command_exits_non_zero_when_an_event_is_busy(post_webhook, freshdesk):
    post_webhook(signed("call.failed", "CA330"))
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.PROCESSING)

    with pytest.raises(CommandError, match="1 event\\(s\\) not replayed"):
        call_command("replay_events", "--id", str(event.pk))


def test_an_event_whose_payload_was_pruned_is_not_replayed(supervisor_client, post_webhook, run_worker,
                                                           freshdesk):
    post_webhook(signed("call.failed", "CA340"))
    run_worker()
    event = WebhookEvent.objects.get()
    WebhookEvent.objects.filter(pk=event.pk).update(raw_body="")

    page = supervisor_client.post(EVENTS, {"action": "replay_events", "_selected_action": [event.pk]},
                                  follow=True).content.decode()

    assert f"Event {event.pk} not replayed: its payload was pruned" in page
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DONE


def test_an_unexpected_error_is_retried_then_failed_then_replayed_once_fixed(
        supervisor_client, post_webhook, run_worker, freshdesk):
    """Freshdesk answers 200 with something that is not a ticket: no code path expects it.

    The event is retried a bounded number of times, then failed with the error, shown in the
    admin and replayable; it never stays `processing`.
    """
    from integration.processing.machine import UNEXPECTED_ATTEMPTS

    post_webhook(signed("call.failed", "CA330", status="no-answer"))
    run_worker()
    ticket_id = next(iter(freshdesk.tickets))
    freshdesk.fail_next(200, body=["maintenance"], count=UNEXPECTED_ATTEMPTS,
                        path_prefix=f"/api/v2/tickets/{ticket_id}", method="GET")
    post_webhook(signed("call.completed", "CA331", direction="outbound", duration_seconds=60,
                        **{"from": "+254203893800", "to": "+254712345678"}))
    run_worker()

    event = WebhookEvent.objects.get(call_id="CA331")
    assert (event.status, event.attempts) == (WebhookEvent.Status.FAILED, UNEXPECTED_ATTEMPTS)
    assert "AttributeError" in event.last_error
    listed = supervisor_client.get(EVENTS, {"status__exact": "failed"}).content.decode()
    assert "CA331" in listed and "AttributeError" in listed

    supervisor_client.post(f"{EVENTS}{event.pk}/replay/")
    run_worker()

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DONE
    assert "callback_needed" not in freshdesk.tickets[ticket_id]["tags"]
    assert notes_count(freshdesk) == 1  # the callback note, added once over six runs
