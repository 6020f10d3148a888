"""Supervisors, agents and the data they look at in the admin."""

import re

import pytest
from django.test import Client

from agents.models import AgentPhone
from agents.permissions import ensure_supervisors_group
from tests.factories import signed


@pytest.fixture
def supervisor(django_user_model):
    """A staff user whose only rights come from the Supervisors group (not a superuser)."""
    user = django_user_model.objects.create_user(
        "amina", password="s3cret-pass", is_staff=True, first_name="Amina", last_name="Otieno"
    )
    user.groups.add(ensure_supervisors_group())
    return user


@pytest.fixture
def supervisor_client(supervisor):
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture
def agent_user(django_user_model):
    """An agent: a login with an AgentPhone, not staff."""
    user = django_user_model.objects.create_user("wanjiku", password="s3cret-pass")
    AgentPhone.objects.create(freshdesk_agent_id=501, name="Wanjiku", phone="+254711000001", user=user)
    return user


@pytest.fixture
def missed_call(post_webhook, run_worker):
    """A caller whose call was missed, processed into a callback ticket; returns the call id."""

    def make(call_id, number="0712345678", **fields):
        body = signed("call.failed", call_id, status="no-answer", **{"from": number}, **fields)
        response = post_webhook(body)
        assert response.status_code == 202, response.content
        run_worker()
        return call_id

    return make


def row_of(html, text):
    """The <tr> of a changelist that contains `text` (None if no row does)."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S):
        if text in row:
            return row
    return None


def cell(row, field):
    """The text of a changelist cell, by the admin's `field-<name>` class."""
    found = re.search(rf'class="field-{field}[^"]*"[^>]*>(.*?)</t[dh]>', row, flags=re.S)
    assert found, f"no field-{field} in {row}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


@pytest.fixture
def rules(db):
    from integration.models import RoutingSettings

    return RoutingSettings.objects.create(business_hours="24/7")


@pytest.fixture
def teams(db):
    from agents.models import Team

    return (Team.objects.create(freshdesk_group_id=71, name="Sales"),
            Team.objects.create(freshdesk_group_id=72, name="Support"))
