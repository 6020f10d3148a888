"""/api/schema/ describes the contract's endpoints, and requests generated from it never get a 5xx.

schemathesis reads the schema through the WSGI app and sends what it generates
(valid and invalid bodies, odd types, huge strings) to the same app, in-process:
anonymously, and as a logged-in agent with a CSRF token, against the Sautikit
stand-in.
"""

import time

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from agents.app_tokens import issue_app_token
from agents.models import AgentPhone
from integration.intake.signature import sign
from sautidesk.wsgi import application
from tests.factories import SECRET

pytestmark = pytest.mark.django_db


def test_schema_describes_the_webhook_and_the_calls_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {"/webhooks/sautikit/", "/api/calls/",
                                    "/api/freshdesk-app/agents/{freshdesk_agent_id}/session/",
                                    "/api/freshdesk-app/agents/{freshdesk_agent_id}/calls/",
                                    "/api/freshdesk-app/live/"}
    webhook = schema["paths"]["/webhooks/sautikit/"]["post"]
    body = webhook["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"event", "call_id", "signed_at", "signature"}
    assert {"from", "to", "status", "duration_seconds", "recording_url", "metadata"} <= set(body["properties"])
    assert set(webhook["responses"]) == {"200", "202", "400", "401", "403", "413"}
    assert "actions" in str(webhook["responses"]["200"])
    calls = schema["paths"]["/api/calls/"]["post"]
    assert {"201", "400", "403"} <= set(calls["responses"])
    app_calls = schema["paths"]["/api/freshdesk-app/agents/{freshdesk_agent_id}/calls/"]["post"]
    assert app_calls["requestBody"] == calls["requestBody"]
    assert {"201", "400", "401", "403", "429"} <= set(app_calls["responses"])
    assert app_calls["security"] == [{"appToken": []}]
    live = schema["paths"]["/api/freshdesk-app/live/"]["get"]
    assert live["security"] == [{"liveToken": []}]


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    """As Django's test client does: the end of a request through the WSGI app would
    otherwise close the connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def agent_session(client, django_user_model, sautikit, freshdesk):
    """Session cookie and CSRF token of an agent who may place calls."""
    cache.clear()  # the per-user call throttle
    user = django_user_model.objects.create_user("schemathesis-agent", password="pw-schema-1")
    AgentPhone.objects.create(freshdesk_agent_id=9901, name="Schema Agent", phone="+254711009901", user=user)
    client.force_login(user)
    token = _get_new_csrf_string()
    return {
        "headers": {"X-CSRFToken": token},
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": token},
    }


# Loaded at collection, through the app itself (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
EXAMPLES = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much])


@schema.parametrize()
@EXAMPLES
def test_no_generated_anonymous_request_gets_a_server_error(case):
    response = case.call_and_validate(checks=[not_a_server_error])  # raises on a 5xx
    assert response.status_code < 500


@schema.include(path="/webhooks/sautikit/", method="POST").parametrize()
@EXAMPLES
def test_no_generated_signed_webhook_gets_a_server_error(case):
    """Signed as Sautikit would sign it, a generated body gets past the signature check
    and into parsing and storage, where hostile values would do harm."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("call_id"), str) and isinstance(body.get("event"), str):
        body["signed_at"] = int(time.time())
        body["signature"] = sign(SECRET, body["signed_at"], body["call_id"], body["event"])
    response = case.call_and_validate(checks=[not_a_server_error])  # raises on a 5xx
    assert response.status_code < 500


@schema.include(path="/api/calls/").parametrize()
@EXAMPLES
def test_no_generated_agent_request_gets_a_server_error(case, agent_session):
    cache.clear()  # the per-user throttle would answer most examples with 429
    response = case.call_and_validate(checks=[not_a_server_error], headers=agent_session["headers"],
                                      cookies=agent_session["cookies"])  # raises on a 5xx
    assert response.status_code < 500


APP_AGENT_ID = 9902


@pytest.fixture
def app_token_headers(django_user_model, sautikit, freshdesk):
    """The Freshdesk app's credential, for a linked agent."""
    user = django_user_model.objects.create_user("schemathesis-app-agent", password="pw-schema-2")
    AgentPhone.objects.create(freshdesk_agent_id=APP_AGENT_ID, name="App Agent", phone="+254711009902", user=user)
    _, raw = issue_app_token("schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@schema.include(path_regex="^/api/freshdesk-app/agents/").parametrize()
@EXAMPLES
def test_no_generated_app_request_gets_a_server_error(case, app_token_headers):
    """With a good app token; most examples name the linked agent, so their bodies reach place_call."""
    cache.clear()  # the throttles
    generated = case.path_parameters.get("freshdesk_agent_id")
    if isinstance(generated, int) and generated % 4:
        case.path_parameters["freshdesk_agent_id"] = APP_AGENT_ID
    response = case.call_and_validate(checks=[not_a_server_error], headers=app_token_headers)  # raises on a 5xx
    assert response.status_code < 500


def test_a_lone_surrogate_escape_is_refused_not_a_server_error(client):
    signed_at = int(time.time())
    body = ('{"event": "call.failed", "call_id": "CA\\ud800", "signed_at": %d, "signature": "00"}'
            % signed_at).encode()

    response = client.generic("POST", "/webhooks/sautikit/", body, content_type="application/json")

    assert response.status_code == 400
