"""Fixtures for the softphone: an agent with a login, and a client logged in as them."""

import pytest


@pytest.fixture
def agent(db, make_agent):
    return make_agent(username="wanjiku", phone="+254711000001")


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
