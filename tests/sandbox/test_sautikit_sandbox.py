"""The Sautikit stand-in places calls and serves recordings as contract §5 describes."""

import pytest
import requests

from integration.sandbox.sautikit import SautikitSandbox

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
