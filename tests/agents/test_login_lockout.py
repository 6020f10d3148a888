"""Password guessing: wrong passwords lock a login (username + address) until a supervisor unlocks it."""

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client

from agents.permissions import ensure_supervisors_group
from tests.factories import AGENT_PASSWORD

LIMIT = 5


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def supervisor(django_user_model):
    user = django_user_model.objects.create_user("amina", password="supervisor-pw-1", is_staff=True)
    user.groups.add(ensure_supervisors_group())
    return user


def log_in(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def guess(client, url, username, times, **extra):
    return [log_in(client, url, username, f"guess-{n}", **extra).status_code for n in range(times)]


def unlock(supervisor, username):
    admin = Client()
    admin.force_login(supervisor)
    ids = list(AccessAttempt.objects.filter(username=username).values_list("pk", flat=True))
    response = admin.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids},
                          follow=True)
    assert "Unlocked 1 login(s)" in response.content.decode()


def test_wrong_passwords_lock_the_softphone_login_until_a_supervisor_unlocks_it(agent, supervisor):
    client = Client()

    # The form answers 200 with an error for each wrong password, the last one locks.
    assert guess(client, "/softphone/login/", "wanjiku", LIMIT) == [200] * (LIMIT - 1) + [429]
    locked = log_in(client, "/softphone/login/", "wanjiku", AGENT_PASSWORD)

    assert locked.status_code == 429
    page = locked.content.decode()
    assert "There were too many wrong passwords for <strong>wanjiku</strong>" in page
    assert "locked for 30 minutes" in page and "Until then even the right password is refused" in page
    assert client.get("/softphone/").status_code == 302  # not logged in

    unlock(supervisor, "wanjiku")

    assert log_in(client, "/softphone/login/", "wanjiku", AGENT_PASSWORD).status_code == 302
    assert client.get("/softphone/").status_code == 200


def test_wrong_passwords_lock_the_admin_login(supervisor, django_user_model):
    client = Client()
    guess(client, "/admin/login/", "amina", LIMIT)

    locked = log_in(client, "/admin/login/", "amina", "supervisor-pw-1")

    assert locked.status_code == 429
    assert "Login locked" in locked.content.decode()  # the admin's page, not the softphone's
    assert client.get("/admin/").status_code == 302


def test_the_lock_is_for_that_address_only(agent):
    """Someone guessing from elsewhere does not lock the agent out of their own desk."""
    guess(Client(), "/softphone/login/", "wanjiku", LIMIT, REMOTE_ADDR="203.0.113.9")

    assert log_in(Client(), "/softphone/login/", "wanjiku", AGENT_PASSWORD,
                  REMOTE_ADDR="198.51.100.20").status_code == 302


def test_behind_the_proxy_the_forwarded_address_is_the_one_locked(agent, settings):
    settings.TRUST_PROXY_HEADERS = True
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    # A client cannot dodge the lock by sending its own X-Forwarded-For: the proxy appends the real one.
    for n in range(LIMIT):
        log_in(Client(), "/softphone/login/", "wanjiku", "wrong",
               HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.9", **proxy)

    assert log_in(Client(), "/softphone/login/", "wanjiku", AGENT_PASSWORD,
                  HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy).status_code == 429
    assert log_in(Client(), "/softphone/login/", "wanjiku", AGENT_PASSWORD,
                  HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy).status_code == 302


def test_a_mistyped_password_then_the_right_one_starts_the_count_again(agent):
    client = Client()
    guess(client, "/softphone/login/", "wanjiku", LIMIT - 1)
    assert log_in(client, "/softphone/login/", "wanjiku", AGENT_PASSWORD).status_code == 302
    client.post("/softphone/logout/")

    assert guess(client, "/softphone/login/", "wanjiku", LIMIT - 1) == [200] * (LIMIT - 1)
    assert log_in(client, "/softphone/login/", "wanjiku", AGENT_PASSWORD).status_code == 302


def test_a_lockout_is_logged(agent, caplog):
    with caplog.at_level(logging.WARNING, logger="agents.lockout"):
        guess(Client(), "/softphone/login/", "wanjiku", LIMIT)

    [record] = [r for r in caplog.records if r.getMessage() == "login locked out"]
    assert (record.username, record.ip_address, record.path) == ("wanjiku", "127.0.0.1", "/softphone/login/")
