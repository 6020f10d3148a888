"""Recording links only from Sautikit: any other recording_url is kept out of notes and flagged."""

import pytest
from django.test import Client

from agents.permissions import ensure_supervisors_group
from integration.models import Call, WebhookEvent
from integration.processing.replay import replay
from integration.recordings import link_problem
from tests.factories import signed

pytestmark = pytest.mark.django_db


def notes_text(freshdesk):
    return " ".join(n["body"] for notes in freshdesk.notes.values() for n in notes)


@pytest.mark.parametrize("url, reason", [
    ("https://evil.example/CA1.mp3", "evil.example is not a Sautikit host"),
    ("https://recordings.sautikit.example.evil.com/CA1.mp3", "is not a Sautikit host"),
    ("https://evilsautikit.example/CA1.mp3", "evilsautikit.example is not a Sautikit host"),
    ("https://recordings.sautikit.example@evil.example/CA1.mp3", "the link carries a user name"),
    ("http://recordings.sautikit.example/CA1.mp3", "is not https"),
    ("https:///CA1.mp3", "the link has no host"),
    ("https://[::1/CA1.mp3", "the link cannot be read"),
], ids=["other-host", "suffix", "lookalike", "userinfo", "plain-http", "no-host", "unreadable"])
def test_a_link_that_is_not_sautikits_never_reaches_a_note(post_webhook, run_worker, freshdesk, url, reason):
    post_webhook(signed("call.answered", "CA1"))
    answer = post_webhook(signed("recording.ready", "CA1", recording_url=url, recording_duration_seconds=40))
    run_worker()

    assert answer.status_code == 202  # stored, not refused: Sautikit would retry a 4xx for ever
    assert url not in notes_text(freshdesk) and "listen to the recording" not in notes_text(freshdesk)
    assert Call.objects.get().recording_url == ""
    event = WebhookEvent.objects.get(event="recording.ready")
    assert event.status == "done"
    assert event.flag.startswith("recording link withheld: ") and reason in event.flag


def test_a_flagged_event_shows_in_the_admin(post_webhook, run_worker, freshdesk, django_user_model):
    post_webhook(signed("call.answered", "CA2"))
    post_webhook(signed("recording.ready", "CA2", recording_url="https://evil.example/CA2.mp3"))
    run_worker()
    supervisor = django_user_model.objects.create_user("amina", password="x", is_staff=True)
    supervisor.groups.add(ensure_supervisors_group())
    admin = Client()
    admin.force_login(supervisor)

    listing = admin.get("/admin/integration/webhookevent/?flagged=yes").content.decode()

    assert "recording link withheld: evil.example is not a Sautikit host" in listing
    assert "CA2" in listing


def test_after_the_setting_is_fixed_a_replay_adds_the_link(post_webhook, run_worker, freshdesk, settings):
    url = "https://storage.sautikit-cdn.example/CA3.mp3?sig=x"
    post_webhook(signed("call.answered", "CA3"))
    post_webhook(signed("recording.ready", "CA3", recording_url=url))
    run_worker()
    assert "sautikit-cdn" not in notes_text(freshdesk)

    settings.SAUTIKIT_RECORDING_HOSTS = [".sautikit.example", "storage.sautikit-cdn.example"]
    event = WebhookEvent.objects.get(event="recording.ready")
    replay([event.pk])
    run_worker()

    assert 'href="https://storage.sautikit-cdn.example/CA3.mp3?sig=x"' in notes_text(freshdesk)
    event.refresh_from_db()
    assert (event.status, event.flag) == ("done", "")


@pytest.mark.parametrize("api, url, allowed", [
    # The sandbox serves its recordings over http from the API's own origin.
    ("http://127.0.0.1:8102", "http://127.0.0.1:8102/recordings/CA4.mp3", True),
    ("http://127.0.0.1:8102", "http://127.0.0.1:8103/recordings/CA4.mp3", False),
    ("http://127.0.0.1:8102", "http://localhost:8102/recordings/CA4.mp3", False),
    ("https://api.sautikit.co.ke/", "https://api.sautikit.co.ke/v1/recordings/CA4.mp3", True),
    ("https://api.sautikit.co.ke/", "https://API.Sautikit.co.ke/v1/recordings/CA4.mp3", True),
    ("https://api.sautikit.co.ke/", "http://api.sautikit.co.ke/v1/recordings/CA4.mp3", False),
    ("https://api.sautikit.co.ke/", "https://files.sautikit.co.ke/CA4.mp3", False),
])
def test_the_api_host_is_always_sautikits(settings, api, url, allowed):
    settings.SAUTIKIT_API_URL = api
    settings.SAUTIKIT_RECORDING_HOSTS = []

    assert (link_problem(url) is None) is allowed
