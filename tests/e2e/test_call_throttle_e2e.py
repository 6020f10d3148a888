"""The 10-calls-a-minute limit holds across web processes: two gunicorns sharing Redis as the cache."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
from django.test import Client

from tests.e2e import processes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CACHE_URL = "redis://127.0.0.1:6379/13"  # apart from the other end-to-end tests' databases


@pytest.fixture
def two_webs(sautikit, make_agent):
    processes.require()
    redis.Redis.from_url(CACHE_URL).flushdb()
    agent = make_agent(username="wanjiku", phone="+254711000001")
    env = processes.service_env(
        DATABASE_URL=processes.database_url(),
        CACHE_URL=CACHE_URL, CONN_MAX_AGE=0,
        SAUTIKIT_API_URL=sautikit.base_url, SAUTIKIT_API_KEY=sautikit.api_key,
    )
    with processes.web(env, workers=1) as first, processes.web(env, workers=1) as second:
        yield first, second, agent.user


def logged_in(user, base_url):
    """A requests session logged in as `user`, as the agent's browser would be.

    The session is made here (the test settings hash passwords with a hasher the served
    settings do not have) and lives in the shared database, so both processes know it.
    """
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    assert session.get(f"{base_url}/softphone/", timeout=10, allow_redirects=False).status_code == 200
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def place(session, base_url, n):
    return session.post(f"{base_url}/api/calls/", json={"to": f"0712 000 {n:03d}"}, timeout=10).status_code


def test_the_eleventh_call_of_a_minute_is_refused_across_processes(two_webs, sautikit):
    first, second, user = two_webs
    session = logged_in(user, first)

    answers = [place(session, (first, second)[n % 2], n) for n in range(11)]

    assert answers == [201] * 10 + [429]
    assert len(sautikit.calls) == 10


def test_a_parallel_burst_gets_no_more_than_the_limit(two_webs, sautikit):
    first, second, user = two_webs
    session = logged_in(user, second)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: place(session, (first, second)[n % 2], n), range(24)))

    assert sorted(answers) == [201] * 10 + [429] * 14
    assert len(sautikit.calls) == 10
