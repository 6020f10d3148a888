"""`/`, where the README, the run banner and the admin's "View site" send people."""

import re

import pytest

from agents.models import AgentPhone

pytestmark = pytest.mark.django_db


def links(response):
    return re.findall(r'href="([^"]+)"', response.content.decode())


def test_front_page_answers_everyone_and_every_link_on_it_leads_to_a_page(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Not signed in" in page
    assert {"/softphone/", "/admin/", "/admin/dashboard/", "/healthz", "/readyz"} <= set(links(response))
    for href in links(response):
        followed = client.get(href, follow=True)
        if href == "/readyz":  # no worker in this test: "not ready", with the reasons
            assert followed.status_code == 503 and followed.json()["problems"]
        else:
            assert followed.status_code == 200, href  # the softphone and admin via their login pages
    assert "Sandbox mode" not in page


def test_front_page_says_who_you_are(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", password="pw-front-1")
    AgentPhone.objects.create(freshdesk_agent_id=101, name="Wanjiku Kamau", phone="+254711000001", user=user)
    client.force_login(user)

    page = client.get("/").content.decode()

    assert "Signed in as admin" in page
    assert "You are a supervisor, and agent Wanjiku Kamau (+254711000001)." in page
    assert "Log out admin" in page


@pytest.mark.parametrize("linked, expected", [
    (True, "You are agent Otieno Odhiambo (+254711000002)."),
    (False, "Your login is not linked to an agent yet"),
])
def test_front_page_tells_an_agent_what_they_can_do(client, django_user_model, linked, expected):
    user = django_user_model.objects.create_user("otieno", password="pw-front-2")
    if linked:
        AgentPhone.objects.create(freshdesk_agent_id=102, name="Otieno Odhiambo", phone="+254711000002",
                                  user=user)
    client.force_login(user)

    assert expected in client.get("/").content.decode()


def test_in_sandbox_mode_the_front_page_leads_to_the_freshdesk_sandbox(client, settings):
    settings.SANDBOX_MODE = True
    settings.FRESHDESK_BASE_URL = "http://127.0.0.1:8101"

    response = client.get("/")

    assert "http://127.0.0.1:8101/_sandbox/" in links(response)
    assert "manage.py simulate_call missed" in response.content.decode()
