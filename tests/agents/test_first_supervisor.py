"""`manage.py first_supervisor`: a newcomer reaches the admin (and the softphone) in one step."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from agents.models import AgentPhone
from agents.permissions import SUPERVISORS

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("first_supervisor", *args, stdout=out)
    return out.getvalue()


def test_creates_a_superuser_whose_printed_password_works_and_links_the_agent(django_user_model):
    output = run("--agent", "101")

    username, password = re.search(r"Supervisor login created: (\S+) / (\S+)", output).groups()
    # As the admin's login form does: with the request, which the lockout backend requires.
    user = authenticate(RequestFactory().post("/admin/login/"), username=username, password=password)
    assert user is not None and user.is_superuser and user.is_staff and username == "admin"
    assert list(user.groups.values_list("name", flat=True)) == [SUPERVISORS]
    agent = AgentPhone.objects.get(freshdesk_agent_id=101)
    assert agent.user == user and agent.is_active
    assert "can use the softphone" in output


def test_does_nothing_once_a_superuser_exists(django_user_model):
    django_user_model.objects.create_superuser("amina", password="pw-first-1")

    output = run()

    assert "Supervisor login: amina (made earlier" in output and "changepassword amina" in output
    assert django_user_model.objects.count() == 1


def test_a_taken_username_is_refused(django_user_model):
    django_user_model.objects.create_user("admin", password="pw-first-2")

    with pytest.raises(CommandError, match="exists but is not a superuser"):
        run()


def test_an_agent_with_a_login_already_keeps_it(django_user_model):
    wanjiku = django_user_model.objects.create_user("wanjiku", password="pw-first-3")
    AgentPhone.objects.create(freshdesk_agent_id=101, name="Wanjiku Kamau", user=wanjiku)

    output = run("--agent", "101")

    assert "already has a login" in output
    assert AgentPhone.objects.get(freshdesk_agent_id=101).user == wanjiku
