"""Calls, webhook events, agent phones and routing settings as a supervisor sees them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from agents.models import AgentPhone
from integration.models import Call, RoutingSettings, WebhookEvent
from tests.admin.conftest import cell, row_of
from tests.factories import signed

pytestmark = pytest.mark.django_db

RECORDING = "https://recordings.sautikit.example/CA400.mp3?X-Signature=secret-bit"


@pytest.fixture
def call_log(post_webhook, run_worker, freshdesk):
    """An answered inbound call with a recording, an outbound callback, and a missed call."""
    agent = AgentPhone.objects.create(freshdesk_agent_id=601, name="Baraka", phone="+254711000002")
    post_webhook(signed("call.answered", "CA400"))
    post_webhook(signed("call.completed", "CA400", duration_seconds=95))
    post_webhook(signed("recording.ready", "CA400", recording_url=RECORDING, recording_duration_seconds=95))
    post_webhook(signed("call.completed", "CA401", direction="outbound", duration_seconds=60,
                        **{"from": "+254203893800", "to": "+254722000111"}))
    post_webhook(signed("call.failed", "CA402", status="busy", **{"from": "0733000222"}))
    run_worker()
    Call.objects.filter(call_id="CA401").update(agent=agent)
    return agent


def test_call_log_shows_duration_kes_cost_ticket_and_recording_link(supervisor_client, call_log):
    page = supervisor_client.get("/admin/integration/call/").content.decode()

    inbound = row_of(page, "CA400") or row_of(page, "+254712345678")
    assert cell(inbound, "duration") == "1 min 35 s"
    assert cell(inbound, "cost") == "0.00"
    assert cell(inbound, "recording") == "recording"
    assert cell(inbound, "ticket_link").startswith("#")
    outbound = row_of(page, "+254722000111")
    assert (cell(outbound, "duration"), cell(outbound, "cost"), cell(outbound, "agent_name")) == (
        "1 min 00 s", "3.00", "Baraka")
    assert cell(row_of(page, "+254733000222"), "kind") == "Inbound, missed / failed"
    # The presigned URL is a credential: a link, never text on the page.
    assert "X-Signature" not in strip_tags(page)


def test_times_read_the_same_way_in_the_call_log_and_on_the_call_page(supervisor_client, call_log):
    call = Call.objects.get(call_id="CA400")
    shown = timezone.localtime(call.started_at).strftime("%Y-%m-%d %H:%M EAT")

    log = supervisor_client.get("/admin/integration/call/").content.decode()
    detail = supervisor_client.get(f"/admin/integration/call/{call.pk}/change/").content.decode()

    assert cell(row_of(log, "+254712345678"), "when") == shown
    assert shown in strip_tags(detail)  # Django's own display of started_at


def test_call_page_shows_the_recording_as_a_link_only(supervisor_client, call_log):
    call = Call.objects.get(call_id="CA400")
    page = supervisor_client.get(f"/admin/integration/call/{call.pk}/change/").content.decode()
    assert ">recording</a>" in page
    assert "X-Signature" not in strip_tags(page)


@pytest.mark.parametrize("query,shown,hidden", [
    ({"direction__exact": "outbound"}, ["+254722000111"], ["+254733000222"]),
    ({"status__exact": "failed"}, ["+254733000222"], ["+254722000111"]),
    ({"agent__id__exact": "AGENT"}, ["+254722000111"], ["+254733000222"]),
    ({"q": "0733 000 222"}, ["+254733000222"], ["+254722000111"]),
])
def test_call_log_filters(supervisor_client, call_log, query, shown, hidden):
    query = {k: str(call_log.pk) if v == "AGENT" else v for k, v in query.items()}
    page = supervisor_client.get("/admin/integration/call/", query).content.decode()
    for number in shown:
        assert row_of(page, number), number
    for number in hidden:
        assert not row_of(page, number), number


def test_call_log_date_filters(supervisor_client, call_log):
    Call.objects.filter(call_id="CA402").update(started_at=timezone.now() - timedelta(days=40))
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    page = supervisor_client.get("/admin/integration/call/", {  # the "Past 7 days" link's query
        "started_at__gte": str(midnight - timedelta(days=6)),
        "started_at__lt": str(midnight + timedelta(days=1)),
    }).content.decode()
    assert row_of(page, "+254722000111") and not row_of(page, "+254733000222")
    by_year = supervisor_client.get("/admin/integration/call/", {"started_at__year": midnight.year})
    assert by_year.status_code == 200


def test_webhook_events_filter_by_status_and_type(supervisor_client, call_log):
    WebhookEvent.objects.filter(call_id="CA402").update(status="failed", last_error="Freshdesk refused: x")

    failed = supervisor_client.get("/admin/integration/webhookevent/", {"status__exact": "failed"})
    page = failed.content.decode()
    assert row_of(page, "CA402") and not row_of(page, "CA400")
    assert cell(row_of(page, "CA402"), "error_summary") == "Freshdesk refused: x"
    by_type = supervisor_client.get("/admin/integration/webhookevent/", {"event": "recording.ready"})
    page = by_type.content.decode()
    assert row_of(page, "CA400") and not row_of(page, "CA401")


def test_webhook_event_page_pretty_prints_the_payload_without_the_signed_url(supervisor_client, call_log):
    event = WebhookEvent.objects.get(call_id="CA400", event="recording.ready")
    page = supervisor_client.get(f"/admin/integration/webhookevent/{event.pk}/change/").content.decode()
    assert "&quot;recording_duration_seconds&quot;: 95" in page
    assert "https://recordings.sautikit.example/CA400.mp3?…" in page
    assert "secret-bit" not in page
    assert 'name="_save"' not in page  # read-only: a stored delivery is evidence, not a form


def test_agent_phone_is_stored_in_e164(supervisor_client):
    response = supervisor_client.post("/admin/agents/agentphone/add/", {
        "name": "Achieng", "email": "achieng@example.co.ke", "freshdesk_agent_id": "700",
        "phone": "0711 000 003", "is_active": "on"})
    assert response.status_code == 302
    assert AgentPhone.objects.get(freshdesk_agent_id=700).phone == "+254711000003"


def test_agent_phone_rejects_a_number_routing_cannot_dial(supervisor_client):
    response = supervisor_client.post("/admin/agents/agentphone/add/", {
        "name": "Achieng", "freshdesk_agent_id": "701", "phone": "12345", "is_active": "on"})
    assert response.status_code == 200
    assert "is not a phone number routing can dial" in response.content.decode()
    assert not AgentPhone.objects.filter(freshdesk_agent_id=701).exists()


def test_agents_without_a_phone_are_flagged_and_filterable(supervisor_client):
    AgentPhone.objects.create(freshdesk_agent_id=702, name="Otieno")
    AgentPhone.objects.create(freshdesk_agent_id=703, name="Njeri", freshdesk_phone="+254711000004",
                              available=True)

    page = supervisor_client.get("/admin/agents/agentphone/").content.decode()
    assert "1 active agent(s) have no phone" in page
    assert cell(row_of(page, "Otieno"), "dial") == "No phone: routing cannot reach this agent"
    assert cell(row_of(page, "Njeri"), "dial") == "+254711000004 (from Freshdesk)"
    missing = supervisor_client.get("/admin/agents/agentphone/", {"dial_number": "missing"}).content.decode()
    assert row_of(missing, "Otieno") and not row_of(missing, "Njeri")
    found = supervisor_client.get("/admin/agents/agentphone/", {"q": "Njeri"}).content.decode()
    assert row_of(found, "Njeri") and not row_of(found, "Otieno")
    available = supervisor_client.get("/admin/agents/agentphone/", {"available__exact": "1"}).content.decode()
    assert row_of(available, "Njeri") and not row_of(available, "Otieno")


def test_sync_from_freshdesk_imports_agents_and_their_availability(supervisor_client, freshdesk):
    freshdesk.add_agent(id=801, name="Kamau", mobile="0711000005", available=True)
    freshdesk.add_agent(id=802, name="Chebet", available=False)

    page = supervisor_client.post("/admin/agents/agentphone/sync/", follow=True).content.decode()

    assert "Synced from Freshdesk: 2 created" in page
    kamau = AgentPhone.objects.get(freshdesk_agent_id=801)
    assert (kamau.freshdesk_phone, kamau.available) == ("+254711000005", True)
    assert cell(row_of(page, "Chebet"), "dial") == "No phone: routing cannot reach this agent"


def test_sync_reports_a_freshdesk_outage_and_changes_nothing(supervisor_client, freshdesk):
    freshdesk.fail_next(503, path_prefix="/api/v2/agents")
    page = supervisor_client.post("/admin/agents/agentphone/sync/", follow=True).content.decode()
    assert "Freshdesk did not answer the agent or group list, nothing changed" in page
    assert not AgentPhone.objects.exists()


MESSAGES = {"greeting_en": "Welcome.", "greeting_sw": "Karibu.", "closed_message_en": "We are closed.",
            "closed_message_sw": "Tumefunga.", "busy_message_en": "All busy.",
            "busy_message_sw": "Wote wana shughuli."}


def test_routing_settings_is_one_row(supervisor_client):
    assert supervisor_client.get("/admin/integration/routingsettings/")["Location"].endswith("/add/")
    response = supervisor_client.post("/admin/integration/routingsettings/add/", {
        "business_hours": "mon-fri 08:00-17:00", "holidays": "2026-12-25", "language": "en-KE",
        **MESSAGES, "busy_action": "voicemail"})
    assert response.status_code == 302
    row = RoutingSettings.objects.get()
    assert supervisor_client.get("/admin/integration/routingsettings/")["Location"].endswith(
        f"/{row.pk}/change/")
    assert supervisor_client.get("/admin/integration/routingsettings/add/").status_code == 403
    page = supervisor_client.get(f"/admin/integration/routingsettings/{row.pk}/change/").content.decode()
    assert "Africa/Nairobi time" in page


def test_admin_index_links_the_queue_and_the_dashboard(supervisor_client):
    page = supervisor_client.get("/admin/").content.decode()
    assert 'href="/admin/integration/ticket/">Callback queue</a>' in page
    assert 'href="/admin/dashboard/"' in page


def test_routing_settings_refuse_a_schedule_routing_cannot_read(supervisor_client):
    response = supervisor_client.post("/admin/integration/routingsettings/add/", {
        "business_hours": "weekdays 8-6", "holidays": "2026-12-25\n25/12/2026", "language": "en-KE",
        **MESSAGES, "busy_action": "voicemail"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not readable: &#x27;weekdays 8-6&#x27;" in page
    assert "line 2: &#x27;25/12/2026&#x27; is not a date like 2026-12-25" in page
    assert not RoutingSettings.objects.exists()


def test_webhook_event_page_shows_a_payload_nested_900_deep(supervisor_client):
    """Older releases stored such bodies; the page must still open (no RecursionError)."""
    nested = "[" * 900 + "]" * 900
    event = WebhookEvent.objects.create(event="call.failed", call_id="CA-DEEP", status="failed",
                                        raw_body='{"event": "call.failed", "metadata": ' + nested + "}")

    response = supervisor_client.get(f"/admin/integration/webhookevent/{event.pk}/change/")

    assert response.status_code == 200
    assert "CA-DEEP" in response.content.decode()
    assert "nested too deeply to show" in response.content.decode()
