"""App tokens in the admin: created and shown once with what to enter in Freshdesk, listed, revoked."""

import hashlib
import re

import pytest

from agents.models import AppToken

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agents/apptoken/"


def create_token(admin_client, name="Freshdesk (production)"):
    response = admin_client.post(f"{CHANGELIST}add/", {"name": name})
    assert response.status_code == 200, response.content
    page = response.content.decode()
    return page, re.search(r'id="app-token" type="text" readonly value="(sdapp_[^"]+)"', page).group(1)


def session(client, agent_id, raw):
    return client.post(f"/api/freshdesk-app/agents/{agent_id}/session/", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_new_token_is_shown_once_with_the_installation_parameters(admin_client, admin_user):
    page, raw = create_token(admin_client)

    assert "Copy it now" in page
    parameters = re.search(r'<table id="installation-parameters">.*?</table>', page, re.S).group(0)
    assert "SautiDesk address" in parameters and "<code>sautidesk.example.co.ke</code>" in parameters
    assert "SautiDesk app token" in parameters and f"<code>{raw}</code>" in parameters

    token = AppToken.objects.get()
    assert (token.name, token.created_by, token.prefix) == ("Freshdesk (production)", admin_user, raw[:12])
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    listing = admin_client.get(CHANGELIST).content.decode()
    assert f"{raw[:12]}…" in listing and raw not in listing
    assert raw not in admin_client.get(f"{CHANGELIST}{token.pk}/change/").content.decode()


def test_a_created_token_lets_the_app_in_until_it_is_revoked(admin_client, client, agent_user):
    _, raw = create_token(admin_client)
    assert session(client, 501, raw).status_code == 200

    token = AppToken.objects.get()
    response = admin_client.post(CHANGELIST, {"action": "revoke_tokens", "_selected_action": [token.pk]},
                                 follow=True)

    assert "Revoked 1 token(s)" in response.content.decode()
    assert AppToken.objects.get().revoked_at is not None
    assert session(client, 501, raw).status_code == 401
    assert "revoked" in admin_client.get(CHANGELIST).content.decode()


def test_tokens_are_revoked_not_deleted(admin_client):
    create_token(admin_client)
    token = AppToken.objects.get()

    assert admin_client.get(f"{CHANGELIST}{token.pk}/delete/").status_code == 403
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()


def test_supervisors_do_not_manage_app_tokens(supervisor_client):
    assert supervisor_client.get(CHANGELIST).status_code == 403
    assert supervisor_client.get(f"{CHANGELIST}add/").status_code == 403
