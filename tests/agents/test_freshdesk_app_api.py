"""The Freshdesk app's API: app token plus Freshdesk agent id, the softphone's call path and
throttle, the live polling endpoint and its CORS, and what a revoked token gets."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from agents.api import IsActiveAgent
from agents.app_tokens import LIVE_TOKEN_SALT, issue_app_token, revoke
from agents.models import AgentPhone, AppToken
from integration.models import Call, RoutingSettings, Ticket
from tests.factories import signed

CALLER = "+254722000111"
APP_ORIGIN = "https://sautidesk-app.freshdev.io"


@pytest.fixture
def app_token(db):
    token, raw = issue_app_token("Freshdesk (test)")
    return raw


@pytest.fixture
def app(client, app_token):
    """Requests as Freshworks' proxy sends them: the Bearer app token, the agent id in the path."""

    def post(agent_id, endpoint, body=None, token=app_token):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return client.post(f"/api/freshdesk-app/agents/{agent_id}/{endpoint}/", body or {},
                           content_type="application/json", **headers)

    return post


def live(client, token, **headers):
    return client.get("/api/freshdesk-app/live/", HTTP_AUTHORIZATION=f"Bearer {token}",
                      HTTP_ORIGIN=APP_ORIGIN, **headers)


def test_a_call_from_the_app_is_placed_for_the_freshdesk_agents_phone(app, agent, sautikit):
    response = app(agent.freshdesk_agent_id, "calls", {"to": "0712 345 678", "ticket_id": 123})

    assert response.status_code == 201, response.content
    assert len(sautikit.calls) == 1
    assert sautikit.calls[0]["to"] == ["+254712345678"]
    assert sautikit.calls[0]["metadata"] == {"freshdesk_ticket_id": 123, "agent_id": agent.freshdesk_agent_id}
    call = Call.objects.get()
    assert (call.agent, call.placed_by, call.ticket.freshdesk_id) == (agent, agent.user, 123)
    assert response.json()["status"] == "ringing"


def test_a_double_click_in_the_app_rings_the_customer_once(app, agent, sautikit):
    first = app(agent.freshdesk_agent_id, "calls", {"to": "0712345678"})
    second = app(agent.freshdesk_agent_id, "calls", {"to": "0712345678"})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["duplicate"] is True
    assert len(sautikit.calls) == 1


def test_a_bad_number_gets_the_softphones_message(app, agent, place, sautikit):
    from_app = app(agent.freshdesk_agent_id, "calls", {"to": "0712"})

    assert from_app.status_code == 400
    assert from_app.json()["error"] == place({"to": "0712"}).json()["error"]
    assert sautikit.calls == []


def test_the_app_and_the_softphone_share_one_call_throttle(app, agent, place, sautikit):
    numbers = [f"07123456{n:02d}" for n in range(11)]
    for number in numbers[:5]:
        assert place({"to": number}).status_code == 201
    answers = [app(agent.freshdesk_agent_id, "calls", {"to": number}).status_code for number in numbers[5:]]

    assert answers == [201] * 5 + [429]
    assert len(sautikit.calls) == 10


def test_the_session_names_the_agent_and_hands_out_a_live_token(app, agent, client):
    response = app(agent.freshdesk_agent_id, "session")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["agent"] == {"name": "Wanjiku Kamau", "freshdesk_agent_id": agent.freshdesk_agent_id}
    assert body["live"]["url"] == "https://sautidesk.example.co.ke/api/freshdesk-app/live/"
    assert (body["live"]["expires_in"], body["live"]["poll_ms"]) == (3600, 3000)
    assert (body["incoming"], body["calls"]) == (None, [])
    assert live(client, body["live"]["token"]).status_code == 200


@pytest.mark.parametrize("endpoint", ["session", "calls"])
def test_a_freshdesk_agent_without_a_linked_phone_gets_the_softphones_message(
        endpoint, app, make_agent, django_user_model, sautikit):
    unlinked = AgentPhone.objects.create(freshdesk_agent_id=777, name="No Login")
    inactive = make_agent(username="gone", is_active=False)
    locked = make_agent(username="locked")
    django_user_model.objects.filter(pk=locked.user.pk).update(is_active=False)

    for agent_id in (999, unlinked.freshdesk_agent_id, inactive.freshdesk_agent_id, locked.freshdesk_agent_id):
        response = app(agent_id, endpoint, {"to": "0712345678"})
        assert response.status_code == 403, agent_id
        assert response.json()["detail"] == IsActiveAgent.message
    assert sautikit.calls == []


@pytest.mark.parametrize("endpoint", ["session", "calls"])
def test_no_token_a_wrong_one_or_a_revoked_one_is_refused(endpoint, app, app_token, agent, sautikit):
    assert app(agent.freshdesk_agent_id, endpoint, token=None).status_code == 401
    assert app(agent.freshdesk_agent_id, endpoint, token="sdapp_" + "x" * 43).status_code == 401
    assert app(agent.freshdesk_agent_id, endpoint, token="not-even-ours").status_code == 401

    revoke(AppToken.objects.all())
    response = app(agent.freshdesk_agent_id, endpoint, {"to": "0712345678"})

    assert response.status_code == 401
    assert "refused this app's token" in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="sautidesk-app"'
    assert sautikit.calls == []


def test_tokens_are_stored_hashed_and_note_when_they_were_used(app, app_token, agent):
    stored = AppToken.objects.get()
    assert app_token not in str(list(AppToken.objects.values_list()))
    assert stored.prefix == app_token[:12] and stored.last_used_at is None

    app(agent.freshdesk_agent_id, "session")

    assert AppToken.objects.get().last_used_at is not None


@pytest.fixture
def live_token(app, agent):
    return app(agent.freshdesk_agent_id, "session").json()["live"]["token"]


def test_live_polling_pops_a_routed_call_with_the_callers_open_callbacks(client, live_token, agent,
                                                                         post_webhook, freshdesk):
    RoutingSettings.objects.create(business_hours="24/7")
    AgentPhone.objects.filter(pk=agent.pk).update(available=True)
    freshdesk.add_contact("Achieng Otieno", phone=CALLER)
    Ticket.objects.create(freshdesk_id=77, kind="callback", requester_number=CALLER, callback_open=True,
                          subject="Missed call")
    Ticket.objects.create(freshdesk_id=78, kind="callback", requester_number=CALLER, callback_open=True,
                          subject="Missed call again")
    Ticket.objects.create(freshdesk_id=70, kind="callback", requester_number=CALLER, callback_open=False)
    assert post_webhook(signed("call.routing", "CA-app-1", **{"from": CALLER})).status_code == 200

    response = live(client, live_token)

    assert response.status_code == 200
    pop = response.json()["incoming"]
    assert (pop["from"], pop["name"], pop["call_id"]) == (CALLER, "Achieng Otieno", "CA-app-1")
    assert pop["ticket"]["id"] == 78  # the newest open callback, as on /softphone/
    assert [t["id"] for t in pop["open_callbacks"]] == [78, 77]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


def test_the_browser_may_ask_cross_origin_before_polling(client):
    preflight = client.options("/api/freshdesk-app/live/", HTTP_ORIGIN=APP_ORIGIN,
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")

    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Headers"] == "Authorization"
    assert preflight["Access-Control-Allow-Methods"] == "GET"


def test_a_live_token_dies_with_its_app_token_and_after_an_hour(client, live_token, agent):
    assert live(client, live_token).status_code == 200

    revoke(AppToken.objects.all())
    refused = live(client, live_token)

    assert refused.status_code == 401
    assert refused["Access-Control-Allow-Origin"] == "*"  # so the app can read why

    token, _ = issue_app_token("another")
    grant = {"t": token.pk, "a": agent.pk}
    assert live(client, _signed_at(grant, timezone.now() - timedelta(minutes=59))).status_code == 200
    assert live(client, _signed_at(grant, timezone.now() - timedelta(minutes=61))).status_code == 401
    fresh = signing.dumps(grant, salt=LIVE_TOKEN_SALT)
    assert live(client, fresh[:-2] + "xx").status_code == 401
    assert live(client, signing.dumps(grant, salt="another-purpose")).status_code == 401
    assert client.get("/api/freshdesk-app/live/").status_code == 401


def test_a_live_token_stops_when_the_agent_is_unlinked(client, live_token, agent):
    AgentPhone.objects.filter(pk=agent.pk).update(user=None)

    assert live(client, live_token).status_code == 401


def test_live_polling_is_limited_per_agent(client, live_token):
    answers = [live(client, live_token).status_code for _ in range(61)]

    assert answers == [200] * 60 + [429]


def test_a_softphone_session_cannot_use_the_app_endpoints(agent_client, agent):
    assert agent_client.post(f"/api/freshdesk-app/agents/{agent.freshdesk_agent_id}/session/").status_code == 401
    assert agent_client.get("/api/freshdesk-app/live/").status_code == 401


def test_an_agent_id_beyond_any_database_is_nobody(app):
    response = app(2**64, "session")

    assert response.status_code == 403


def _signed_at(obj, when):
    """A live token as SautiDesk would have signed it at `when`."""

    class SignedThen(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(when.timestamp()))

    return SignedThen(salt=LIVE_TOKEN_SALT).sign_object(obj)


def test_an_app_token_works_from_any_client(agent, app_token):
    """No session cookie, no CSRF token: the Bearer token is the whole credential."""
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(f"/api/freshdesk-app/agents/{agent.freshdesk_agent_id}/session/",
                              HTTP_AUTHORIZATION=f"Bearer {app_token}")

    assert response.status_code == 200
