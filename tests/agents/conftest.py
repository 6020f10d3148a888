"""Fixtures for the softphone: an agent with a login, and a client logged in as them."""

import itertools

import pytest
from django.core.cache import cache

from agents.models import AgentPhone

_ids = itertools.count(501)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The per-user call throttle and the caller-name cache live in the cache: start empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_agent(django_user_model):
    def make(username="wanjiku", name="Wanjiku Kamau", is_active=True, **fields):
        user = django_user_model.objects.create_user(username=username, password="pw-softphone-1")
        fields.setdefault("phone", "+254711000001")
        agent = AgentPhone.objects.create(freshdesk_agent_id=next(_ids), name=name, user=user,
                                          is_active=is_active, **fields)
        return agent

    return make


@pytest.fixture
def agent(db, make_agent):
    return make_agent()


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def place(agent_client):
    """POST /api/calls/ as the logged-in agent."""

    def post(body, client=None):
        return (client or agent_client).post("/api/calls/", body, content_type="application/json")

    return post
