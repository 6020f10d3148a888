"""POST /webhooks/sautikit/: what a caller gets back, and what is stored (contract §3)."""

import json
import time

import pytest

from integration.models import Call, WebhookEvent
from tests.factories import SECRET, signed

pytestmark = pytest.mark.django_db(transaction=True)


def record_calls(run_worker):
    """What a worker does first with each event, whether or not Freshdesk then answers."""
    run_worker(max_rounds=1, must_finish=False)


def test_verified_event_is_stored_and_accepted(post_webhook, run_worker):
    response = post_webhook(signed("call.failed", "CA100", status="no-answer", **{"from": "0712345678"}))

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    event = WebhookEvent.objects.get()
    assert (event.event, event.call_id, event.status) == ("call.failed", "CA100", "received")
    assert json.loads(event.raw_body)["status"] == "no-answer"
    assert not Call.objects.exists()  # the worker records the call, not the webhook

    record_calls(run_worker)
    call = Call.objects.get(call_id="CA100")
    assert call.from_number == "+254712345678"
    assert call.status == Call.Status.FAILED
    assert call.failure_status == "no-answer"


def test_repeated_delivery_is_stored_once(post_webhook):
    body = signed("call.answered", "CA101")
    answers = [post_webhook(body) for _ in range(3)]

    assert [a.status_code for a in answers] == [202, 200, 200]
    assert [a.json()["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    assert WebhookEvent.objects.count() == 1


def test_later_copy_with_other_body_does_not_update_the_first(post_webhook, run_worker):
    first = signed("call.failed", "CA102", status="busy")
    post_webhook(first)
    post_webhook({**first, "status": "rejected", "from": "+254799999999"})
    record_calls(run_worker)

    event = WebhookEvent.objects.get()
    assert json.loads(event.raw_body)["status"] == "busy"
    assert Call.objects.get().from_number == "+254712345678"


def test_unknown_event_type_is_stored_as_ignored(post_webhook):
    response = post_webhook(signed("call.transferred", "CA103"))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED
    assert not Call.objects.exists()


def test_body_over_the_size_cap_is_413_and_not_stored(post_webhook):
    body = signed("call.failed", "CA104", metadata={"pad": "x" * 70_000})
    response = post_webhook(body)

    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("raw", [
    b"not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe garbage", b"[" * 100_00 + b"]" * 100_00,
    b'{"event": "call.failed", "call_id": NaN}',
    b'{"event": "call.failed", "call_id": "CA\\ud800", "signed_at": 1, "signature": "00"}',
])
def test_body_that_is_not_a_json_object_is_400(post_webhook, raw):
    response = post_webhook(raw)

    assert response.status_code == 400
    assert "error" in response.json()
    assert not WebhookEvent.objects.exists()


def test_duplicate_keys_are_refused(post_webhook):
    good = signed("call.failed", "CA105")
    raw = json.dumps(good)[:-1] + ', "call_id": "CA_evil"}'
    response = post_webhook(raw.encode())

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("change", [
    {"call_id": ""}, {"event": ""}, {"call_id": "C" * 65}, {"direction": "sideways"},
    {"from": 254712345678}, {"status": "x\x00y"}, {"duration_seconds": 10**400},
    {"duration_seconds": -1}, {"duration_seconds": "12"}, {"metadata": [1]},
    {"recording_url": "ftp://files.example/rec.mp3"},
])
def test_invalid_fields_are_400_and_not_stored(post_webhook, change):
    fields = {k: v for k, v in change.items() if k not in ("call_id", "event")}
    body = signed(change.get("event", "call.completed"), change.get("call_id", "CA106"), **fields)
    response = post_webhook(body)

    assert response.status_code == 400, response.content
    assert not WebhookEvent.objects.exists()
    assert not Call.objects.exists()


def test_missing_signature_is_401(post_webhook):
    body = signed("call.failed", "CA107")
    del body["signature"]

    response = post_webhook(body)

    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("secret,offset", [("whsec_wrong", 0), (SECRET, -400), (SECRET, +400)],
                         ids=["wrong-secret", "stale", "future"])
def test_bad_or_stale_signature_is_403(post_webhook, caplog, secret, offset):
    body = signed("call.failed", "CA108", secret=secret, signed_at=int(time.time()) + offset)

    response = post_webhook(body)

    assert response.status_code == 403
    assert response.json() == {"error": "invalid signature"}
    assert not WebhookEvent.objects.exists()
    assert SECRET not in caplog.text


def test_rotated_secret_still_verifies(post_webhook):
    response = post_webhook(signed("call.failed", "CA109", secret="whsec_old_rotated"))

    assert response.status_code == 202


@pytest.mark.parametrize("number", ["0712345678", "254712345678", "+254712345678", "0712 345 678"])
def test_kenyan_number_formats_are_stored_as_e164(post_webhook, run_worker, number):
    post_webhook(signed("call.failed", "CA110", **{"from": number}))
    record_calls(run_worker)

    assert Call.objects.get().from_number == "+254712345678"


def test_unparsable_number_is_kept_and_flagged(post_webhook, run_worker):
    response = post_webhook(signed("call.failed", "CA111", **{"from": "anonymous"}))

    assert response.status_code == 202
    record_calls(run_worker)
    call = Call.objects.get()
    assert call.from_number == "anonymous"
    assert call.number_unparsed is True


def test_late_answered_does_not_move_a_completed_call_back(post_webhook, run_worker):
    post_webhook(signed("call.completed", "CA112", duration_seconds=42))
    post_webhook(signed("call.answered", "CA112"))
    record_calls(run_worker)

    call = Call.objects.get()
    assert call.status == Call.Status.COMPLETED
    assert call.duration_seconds == 42


def test_get_is_not_allowed(client):
    assert client.get("/webhooks/sautikit/").status_code == 405


@pytest.mark.parametrize("signed_at", [10**400, -10**400, 2**63, 1e308], ids=["huge", "huge-negative", "int64",
                                                                         "float"])
def test_signed_at_beyond_any_clock_is_refused_with_a_4xx(post_webhook, signed_at):
    body = {"event": "call.failed", "call_id": "CA113", "signed_at": signed_at, "signature": "00" * 32}

    response = post_webhook(body)

    assert response.status_code in (401, 403)
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("depth", [40, 900, 990, 2000])
def test_deeply_nested_body_is_a_400_at_any_depth(post_webhook, depth):
    body = json.dumps(signed("call.failed", f"CA114-{depth}"))  # json.dumps itself fails that deep
    nested = '{"a": ' * depth + "{}" + "}" * depth
    response = post_webhook(f'{body[:-1]}, "metadata": {nested}}}'.encode())

    assert response.status_code == 400, response.content
    assert not WebhookEvent.objects.exists()


def test_call_id_and_event_are_stored_exactly_as_signed(post_webhook, run_worker):
    """What the signature covers is what identifies the event: no trimming after the check."""
    padded = post_webhook(signed("call.failed", " CA115 "))
    plain = post_webhook(signed("call.failed", "CA115"))
    record_calls(run_worker)

    assert (padded.status_code, plain.status_code) == (202, 202)
    assert sorted(WebhookEvent.objects.values_list("call_id", flat=True)) == [" CA115 ", "CA115"]
    assert sorted(Call.objects.values_list("call_id", flat=True)) == [" CA115 ", "CA115"]
