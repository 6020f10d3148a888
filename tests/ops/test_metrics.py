"""/metrics: what an operator's Prometheus sees, and who may see it."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from agents.permissions import ensure_supervisors_group
from integration.models import WebhookEvent
from tests.factories import signed

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get():
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain")
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(response.content.decode())
                for sample in family.samples}

    return get


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


@pytest.mark.parametrize("headers", [
    {}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN},
    {"HTTP_AUTHORIZATION": "Bearer "},
], ids=["anonymous", "wrong-token", "not-bearer", "empty-token"])
def test_scrape_without_the_token_is_refused(client, settings, headers):
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", **headers)

    assert response.status_code == 403
    assert b"sautidesk" not in response.content
    text = response.content.decode()
    assert "No valid token was sent." in text
    assert "'Authorization: Bearer <token>'" in text
    assert 'sign in to /admin/ as a user with the "Can read the Prometheus metrics" permission' in text


def test_scrape_is_refused_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403
    assert ("METRICS_TOKEN is not set, so only logins with the view_metrics permission may read "
            "metrics.") in response.content.decode()


def test_only_logins_with_the_metrics_permission_may_read_them(client, settings):
    settings.METRICS_TOKEN = ""
    user = get_user_model().objects.create_user("amina", password="pw", is_staff=True)
    user.groups.add(ensure_supervisors_group())
    client.force_login(user)
    assert client.get("/metrics").status_code == 403  # staff, even a supervisor, is not enough

    user.user_permissions.add(Permission.objects.get(codename="view_metrics"))
    client.force_login(get_user_model().objects.get(pk=user.pk))  # a fresh permission cache
    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"sautidesk_queue_lag_seconds" in response.content


def test_missed_call_shows_end_to_end(scrape, post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.failed", "CA-MET-1", status="no-answer"))
    queued = scrape()
    assert value(queued, "sautidesk_webhook_events", event="call.failed", status="received") == 1
    assert value(queued, "sautidesk_pending_events") == 1

    run_worker()
    done = scrape()

    assert value(done, "sautidesk_webhook_events", event="call.failed", status="done") == 1
    assert value(done, "sautidesk_webhook_events", event="call.failed", status="received") == 0
    assert value(done, "sautidesk_tickets_created_total", kind="callback") == 1
    assert value(done, "sautidesk_pending_events") == 0
    assert value(done, "sautidesk_queue_lag_seconds") == 0
    assert value(done, "sautidesk_failed_events") == 0


def test_notes_and_failures_are_counted(scrape, post_webhook, run_worker, freshdesk):
    post_webhook(signed("call.answered", "CA-MET-2"))
    post_webhook(signed("call.completed", "CA-MET-2", duration_seconds=30))
    run_worker()
    WebhookEvent.objects.filter(event="call.answered").update(status=WebhookEvent.Status.FAILED)

    samples = scrape()

    assert value(samples, "sautidesk_tickets_created_total", kind="inbound") == 1
    assert value(samples, "sautidesk_notes_created_total") == 1
    assert value(samples, "sautidesk_failed_events") == 1


def test_queue_lag_is_the_age_of_the_oldest_pending_event(scrape, post_webhook):
    post_webhook(signed("call.failed", "CA-MET-3", status="no-answer"))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=3))

    lag = value(scrape(), "sautidesk_queue_lag_seconds")

    assert 180 <= lag < 190


def test_garbage_event_types_share_one_label(scrape, post_webhook):
    for n in range(3):
        post_webhook(signed(f"call.weird-{n}", f"CA-MET-X{n}"))

    samples = scrape()

    assert value(samples, "sautidesk_webhook_events", event="other", status="ignored") == 3


def test_scrape_counts_webhooks_by_event_and_outcome(scrape, post_webhook):
    before = scrape()
    post_webhook(signed("call.failed", "CA-MET-4", status="no-answer"))
    post_webhook(signed("call.failed", "CA-MET-4", status="no-answer"))
    post_webhook({"event": "call.failed"})
    after = scrape()

    def grew(**labels):
        return value(after, "sautidesk_webhooks_total", **labels) - value(before, "sautidesk_webhooks_total", **labels)

    assert grew(event="call.failed", outcome="accepted") == 1
    assert grew(event="call.failed", outcome="duplicate") == 1
    assert grew(event="other", outcome="rejected_401") == 1


def test_scrape_counts_freshdesk_requests_by_status(scrape, post_webhook, run_worker, freshdesk):
    before = scrape()
    post_webhook(signed("call.failed", "CA-MET-5", status="no-answer"))
    run_worker()
    after = scrape()

    created = ("sautidesk_freshdesk_requests_total", (("method", "POST"), ("status", "201")))
    assert after.get(created, 0) - before.get(created, 0) >= 1
