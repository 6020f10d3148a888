"""The Sautikit stand-in places calls, plays them back and serves recordings (contract §3, §5)."""

import io
import json
import time
import wave
from pathlib import Path

import pytest
import requests

from integration.sandbox import CallScript
from integration.sandbox._sautikit_calls import sign
from integration.sandbox._server import SandboxServer, json_response
from integration.sandbox.sautikit import SautikitSandbox
from integration.intake.signature import verify

SECRET = "whsec_sandbox_test"
VECTORS = json.loads((Path(__file__).resolve().parents[1] / "fixtures/signature-vectors.json").read_text())

FROM = "+254203893800"
CALLER = "+254711000001"


@pytest.fixture(scope="module")
def sk_server():
    with SautikitSandbox(api_key="sk-sandbox-test") as server:
        yield server


@pytest.fixture
def sk(sk_server):
    sk_server.reset()
    yield sk_server
    sk_server.reset()


def place_call(sk, body, key=None):
    headers = {"Authorization": f"Bearer {key or sk.api_key}"}
    return requests.post(f"{sk.base_url}/v1/calls", json=body, headers=headers, timeout=5)


def call_body(**overrides):
    body = {"from": FROM, "to": [CALLER], "voice_callback_url": "https://desk.example/webhooks/sautikit/",
            "metadata": {"freshdesk_ticket_id": 123}}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_accepted_call_is_queued_and_recorded(sk):
    response = place_call(sk, call_body())

    assert response.status_code == 201
    call = response.json()
    assert call["call_id"].startswith("CA") and len(call["call_id"]) > 2
    assert (call["status"], call["from"], call["to"]) == ("queued", FROM, [CALLER])
    assert call["metadata"] == {"freshdesk_ticket_id": 123}
    assert sk.calls == [{**call_body(), "call_id": call["call_id"]}]
    fetched = requests.get(f"{sk.base_url}/v1/calls/{call['call_id']}",
                           headers={"Authorization": f"Bearer {sk.api_key}"}).json()
    assert fetched == call


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2s6eA=="}])
def test_missing_or_wrong_key_is_401_and_places_nothing(sk, headers):
    response = requests.post(f"{sk.base_url}/v1/calls", json=call_body(), headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]
    assert sk.calls == []


@pytest.mark.parametrize("to", [None, [], CALLER, ["0711000001"], [CALLER, "+2547"], [254711000001]])
def test_bad_to_is_rejected_naming_the_field(sk, to):
    response = place_call(sk, call_body(to=to) if to is not None else {"from": FROM})

    assert response.status_code == 400
    assert response.json()["field"] == "to"
    assert sk.calls == []


@pytest.mark.parametrize("overrides, field", [
    ({"from": "0203893800"}, "from"),
    ({"voice_callback_url": "ftp://desk.example/hook"}, "voice_callback_url"),
    ({"voice_callback_url": "not a url"}, "voice_callback_url"),
    ({"metadata": ["freshdesk_ticket_id", 123]}, "metadata"),
    ({"callback_url": "https://desk.example/"}, "callback_url"),
])
def test_other_invalid_fields_are_rejected(sk, overrides, field):
    response = place_call(sk, call_body(**overrides))

    assert (response.status_code, response.json()["field"]) == (400, field)


def test_recording_is_served_as_audio(sk):
    url = sk.recording_url("rec1.mp3", size=4096)

    response = requests.get(url)

    assert url == f"{sk.base_url}/recordings/rec1.mp3"
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert len(response.content) == 4096 and response.content.startswith(b"ID3")
    assert requests.get(f"{sk.base_url}/recordings/missing.mp3").status_code == 404


def test_any_calls_recording_plays_as_a_short_wav(sk):
    response = requests.get(f"{sk.base_url}/recordings/CAsim0123abcd.wav")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        assert 2 <= wav.getnframes() / wav.getframerate() <= 5
        assert any(wav.readframes(wav.getnframes()))  # a tone, not silence
    assert requests.head(f"{sk.base_url}/recordings/CAsim0123abcd.wav").status_code == 200
    assert requests.get(f"{sk.base_url}/recordings/..%2Fsecrets.wav").status_code == 404


class Receiver(SandboxServer):
    """SautiDesk's webhook URL, as far as the stand-in can tell: it keeps what it is sent."""

    def __init__(self):
        super().__init__()
        self.bodies = []

    def handle(self, request):
        self.bodies.append(request.json())
        return json_response(202, {"status": "accepted"})


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def wait_for(check, timeout=10):
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    return check()


def test_placed_call_is_played_back_to_its_callback_url_signed_like_sautikit(sk, receiver):
    sk.play_calls(CallScript(ring_seconds=0.1, talk_seconds=0.3), webhook_secret=SECRET)
    hook = f"{receiver.base_url}/webhooks/sautikit/"

    call = place_call(sk, call_body(voice_callback_url=hook)).json()

    assert wait_for(lambda: len(receiver.bodies) == 3)
    assert [b["event"] for b in receiver.bodies] == ["call.answered", "call.completed", "recording.ready"]
    for body in receiver.bodies:
        verify(body, [SECRET], now=time.time())  # raises if Sautikit's signature would not verify
        assert (body["call_id"], body["direction"], body["from"], body["to"]) == (
            call["call_id"], "outbound", FROM, CALLER)
        assert body["metadata"] == {"freshdesk_ticket_id": 123}
    assert receiver.bodies[1]["duration_seconds"] == 1
    recording = receiver.bodies[2]
    assert recording["recording_duration_seconds"] == 1
    assert requests.get(recording["recording_url"]).headers["Content-Type"] == "audio/wav"
    assert wait_for(lambda: requests.get(f"{sk.base_url}/v1/calls/{call['call_id']}", headers={
        "Authorization": f"Bearer {sk.api_key}"}).json()["status"] == "completed")


def test_unanswered_call_is_reported_as_failed_with_its_reason(sk, receiver):
    sk.play_calls(CallScript(outcome="no-answer", ring_seconds=0.1), webhook_secret=SECRET)

    place_call(sk, call_body(voice_callback_url=f"{receiver.base_url}/hook"))

    assert wait_for(lambda: receiver.bodies)
    time.sleep(0.3)
    assert [(b["event"], b["status"]) for b in receiver.bodies] == [("call.failed", "no-answer")]


def test_delivery_without_a_2xx_is_retried(sk, receiver, monkeypatch):
    monkeypatch.setattr("integration.sandbox._sautikit_calls.RETRY_PAUSE", 0.05)
    receiver.fail_next(503)
    sk.play_calls(CallScript(outcome="busy", ring_seconds=0), webhook_secret=SECRET)

    place_call(sk, call_body(voice_callback_url=f"{receiver.base_url}/hook"))

    assert wait_for(lambda: len(sk.deliveries) == 2)
    assert [(d["event"], d["attempt"], d["status"]) for d in sk.deliveries] == [
        ("call.failed", 1, 503), ("call.failed", 2, 202)]
    assert len(receiver.bodies) == 1


def test_calls_are_not_played_back_unless_asked_nor_after_a_reset(sk, receiver):
    hook = f"{receiver.base_url}/hook"
    place_call(sk, call_body(voice_callback_url=hook))
    sk.play_calls(CallScript(ring_seconds=0.5), webhook_secret=SECRET)
    place_call(sk, call_body(voice_callback_url=hook))
    sk.reset()  # cancels the call being played, and the script
    place_call(sk, call_body(voice_callback_url=hook))

    time.sleep(1.0)
    assert receiver.bodies == []
    with pytest.raises(ValueError):
        sk.play_calls(CallScript(), webhook_secret="")


@pytest.mark.parametrize("vector", VECTORS, ids=[v["event"] for v in VECTORS])
def test_stand_in_signs_like_the_contract_vectors(vector):
    assert sign(vector["secret"], vector["signed_at"], vector["call_id"], vector["event"]) == vector["signature"]


def test_fail_next_and_delay(sk):
    sk.fail_next(503)
    assert place_call(sk, call_body()).status_code == 503
    assert sk.calls == []

    sk.delay(1.0)
    with pytest.raises(requests.Timeout):
        requests.post(f"{sk.base_url}/v1/calls", json=call_body(),
                      headers={"Authorization": f"Bearer {sk.api_key}"}, timeout=0.2)
    sk.delay(0)
    assert place_call(sk, call_body()).status_code == 201
    assert [r["path"] for r in sk.requests] == ["/v1/calls"] * 3


def test_stopped_server_does_not_answer_on_a_kept_alive_connection():
    server = SautikitSandbox().start()
    session = requests.Session()
    url = server.recording_url()
    assert session.get(url).status_code == 200

    server.stop()

    with pytest.raises(requests.ConnectionError):
        session.get(url, timeout=2)
