"""call.routing through the real webhook view: who the caller reaches, or what they hear."""

import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from agents.models import AgentPhone
from integration.routing.business_hours import DAYS
from integration.models import Call, RoutingSettings, WebhookEvent
from tests.factories import signed

from .conftest import OUR_NUMBER, dialled, kinds

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_free_agent_is_dialled_with_the_called_number_as_caller_id(rules, make_agent, route):
    make_agent("Wanjiku", phone="+254711000001")

    response = route("CA1")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"actions": [
        {"say": {"text": rules.greeting_en, "language": "en-KE"}},
        {"dial": {"to": "+254711000001", "callerId": OUR_NUMBER, "timeout": 25}},
    ]}


def test_the_call_is_given_to_the_agent_for_the_screen_pop(rules, make_agent, route):
    agent = make_agent("Wanjiku", phone="+254711000001")

    route("CA2")

    call = Call.objects.get(call_id="CA2")
    assert call.agent == agent
    assert call.direction == Call.Direction.INBOUND
    agent.refresh_from_db()
    assert agent.last_routed_at is not None
    assert WebhookEvent.objects.get(call_id="CA2").status == WebhookEvent.Status.DONE


def test_freshdesk_mobile_is_dialled_when_no_phone_was_set(rules, make_agent, route):
    make_agent("Otieno", freshdesk_phone="+254722000002")

    assert dialled(route()) == "+254722000002"


def test_supervisor_phone_wins_over_the_freshdesk_one(rules, make_agent, route):
    make_agent("Otieno", phone="+254711000009", freshdesk_phone="+254722000002")

    assert dialled(route()) == "+254711000009"


def test_calls_rotate_between_free_agents_longest_idle_first(rules, make_agent, route, post_webhook,
                                                             run_worker):
    for n in range(3):
        make_agent(f"Agent {n}", phone=f"+25471100000{n}")

    reached = []
    for n in range(6):
        reached.append(dialled(route(f"CAROT{n}")))
        # Each call ends (and a worker records it) before the next one comes: everybody is free every time.
        post_webhook(signed("call.completed", f"CAROT{n}", duration_seconds=30))
        run_worker(max_rounds=1, must_finish=False)

    assert reached == ["+254711000000", "+254711000001", "+254711000002"] * 2


def test_agents_not_to_be_called_are_skipped(rules, make_agent, route):
    make_agent("Away", phone="+254711000001", available=False)
    make_agent("Left the company", phone="+254711000002", is_active=False)
    make_agent("No phone")
    make_agent("Reachable", phone="+254711000004")

    assert dialled(route()) == "+254711000004"


def test_agent_on_a_call_is_skipped(rules, make_agent, route, post_webhook):
    make_agent("Wanjiku", phone="+254711000001")
    make_agent("Otieno", phone="+254711000002")

    first, second = dialled(route("CABUSY1")), None
    post_webhook(signed("call.answered", "CABUSY1"))
    second = dialled(route("CABUSY2"))

    assert first != second
    assert {first, second} == {"+254711000001", "+254711000002"}


def test_agent_is_free_again_when_their_call_ends(rules, make_agent, route, post_webhook, run_worker):
    make_agent("Wanjiku", phone="+254711000001")

    route("CAEND1")
    assert dialled(route("CAEND2")) is None  # still ringing Wanjiku
    post_webhook(signed("call.failed", "CAEND1", status="no-answer"))
    # The worker records the end first, whether or not Freshdesk then takes the callback ticket.
    run_worker(max_rounds=1, must_finish=False)

    assert dialled(route("CAEND3")) == "+254711000001"


def test_an_outbound_call_from_the_agents_softphone_keeps_them_busy(rules, make_agent, route,
                                                                     django_user_model):
    user = django_user_model.objects.create_user("wanjiku")
    make_agent("Wanjiku", phone="+254711000001", user=user)
    Call.objects.create(call_id="CAOUT", direction=Call.Direction.OUTBOUND, status=Call.Status.ANSWERED,
                        from_number=OUR_NUMBER, to_number="+254712345678", placed_by=user)

    assert dialled(route()) is None


@pytest.mark.parametrize("status, age, busy", [
    (Call.Status.RINGING, timedelta(seconds=20), True),
    (Call.Status.RINGING, timedelta(seconds=60), False),   # past its 25 s dial timeout
    (Call.Status.ANSWERED, timedelta(hours=2), True),
    (Call.Status.ANSWERED, timedelta(hours=5), False),     # a lost call.completed
])
def test_a_call_whose_end_was_never_heard_stops_counting_after_a_bound(rules, make_agent, route,
                                                                       status, age, busy):
    agent = make_agent("Wanjiku", phone="+254711000001")
    Call.objects.create(call_id="CAOLD", status=status, agent=agent, from_number="+254712345678",
                        to_number=OUR_NUMBER)
    Call.objects.filter(call_id="CAOLD").update(started_at=timezone.now() - age)

    assert (dialled(route()) is None) is busy


def test_nobody_free_says_busy_then_takes_a_voicemail(rules, make_agent, route):
    make_agent("Away", phone="+254711000001", available=False)

    response = route("CANOBODY")

    assert response.json() == {"actions": [
        {"say": {"text": rules.busy_message_en, "language": "en-KE"}},
        {"record": {"maxLength": 120, "finishOnKey": "#", "playBeep": True}},
        {"hangup": {}},
    ]}
    assert Call.objects.get(call_id="CANOBODY").agent is None


def test_nobody_free_hangs_up_when_supervisors_chose_so_in_their_language(rules, route):
    rules.busy_action = RoutingSettings.BusyAction.HANGUP
    rules.language = "sw-KE"
    rules.busy_message_sw = "Wahudumu wetu wote wana shughuli. Tafadhali piga tena baadaye."
    rules.save()

    assert route().json() == {"actions": [
        {"say": {"text": rules.busy_message_sw, "language": "sw-KE"}},
        {"hangup": {}},
    ]}


def _nairobi_today():
    return timezone.now().astimezone(ZoneInfo("Africa/Nairobi"))


def test_out_of_hours_says_closed_and_takes_a_voicemail(rules, make_agent, route):
    make_agent("Wanjiku", phone="+254711000001")
    # Open only on a day that is not today in Nairobi.
    rules.business_hours = f"{DAYS[(_nairobi_today().weekday() + 3) % 7]} 08:00-18:00"
    rules.save()

    response = route("CACLOSED")

    assert response.json() == {"actions": [
        {"say": {"text": rules.closed_message_en, "language": "en-KE"}},
        {"record": {"maxLength": 120, "finishOnKey": "#", "playBeep": True}},
        {"hangup": {}},
    ]}
    assert Call.objects.get(call_id="CACLOSED").agent is None
    assert AgentPhone.objects.get().last_routed_at is None


def test_holiday_is_closed_even_around_the_clock(rules, make_agent, route):
    make_agent("Wanjiku", phone="+254711000001")
    rules.holidays = f"2026-01-01\n{_nairobi_today().date().isoformat()}  # today\n"
    rules.save()

    assert kinds(route()) == ["say", "record", "hangup"]


def test_without_supervisor_hours_the_business_hours_setting_applies(make_agent, route, settings):
    make_agent("Wanjiku", phone="+254711000001")
    settings.BUSINESS_HOURS = "24/7"
    assert dialled(route()) == "+254711000001"

    settings.BUSINESS_HOURS = f"{DAYS[(_nairobi_today().weekday() + 3) % 7]} 08:00-18:00"
    assert kinds(route()) == ["say", "record", "hangup"]


def test_unreadable_supervisor_hours_fall_back_to_the_setting(rules, make_agent, route, settings):
    make_agent("Wanjiku", phone="+254711000001")
    settings.BUSINESS_HOURS = "24/7"
    rules.business_hours = "weekdays nine to five"
    rules.save()

    assert dialled(route()) == "+254711000001"


def test_caller_id_falls_back_to_our_number_when_to_is_unreadable(rules, make_agent, route, settings):
    make_agent("Wanjiku", phone="+254711000001")
    settings.SAUTIKIT_FROM_NUMBER = "+254203893899"

    dial = route(to="12").json()["actions"][-1]["dial"]

    assert dial["callerId"] == "+254203893899"


def test_repeated_routing_delivery_reaches_the_same_agent(rules, make_agent, route):
    make_agent("Wanjiku", phone="+254711000001")
    make_agent("Otieno", phone="+254711000002")

    first = route("CAREPEAT")
    again = route("CAREPEAT")

    assert dialled(first) == dialled(again)
    assert WebhookEvent.objects.filter(call_id="CAREPEAT").count() == 1


def test_bad_signature_is_refused_without_voice_actions(rules, make_agent, post_webhook):
    make_agent("Wanjiku", phone="+254711000001")
    body = signed("call.routing", "CAFORGED", to=OUR_NUMBER)
    body["signature"] = "0" * 64

    response = post_webhook(body)

    assert response.status_code == 403
    assert "actions" not in response.json()
    assert not Call.objects.exists()
    assert AgentPhone.objects.get().last_routed_at is None


def _route_together(count, prefix):
    """`count` call.routing requests released at the same instant, each on its own connection."""
    start = threading.Barrier(count)
    answers = {}

    def call(n):
        try:
            start.wait()
            body = signed("call.routing", f"{prefix}{n}", to=OUR_NUMBER)
            answers[n] = Client().post("/webhooks/sautikit/", body, content_type="application/json")
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == count
    return [dialled(answer) for answer in answers.values()]


def test_simultaneous_calls_never_reach_the_same_agent(rules, make_agent):
    for n in range(3):
        make_agent(f"Agent {n}", phone=f"+25471100000{n}")

    reached = _route_together(8, "CARACE")

    assert sorted(filter(None, reached)) == ["+254711000000", "+254711000001", "+254711000002"]
    assert reached.count(None) == 5
    assert Call.objects.exclude(agent=None).count() == 3


def test_simultaneous_calls_all_reach_someone_while_agents_are_free(rules, make_agent):
    for n in range(8):
        make_agent(f"Agent {n}", phone=f"+25471100000{n}")

    reached = _route_together(8, "CAFREE")

    assert None not in reached
    assert len(set(reached)) == 8


def test_a_busy_softphone_user_does_not_block_agents_without_a_login(rules, make_agent, route,
                                                                     django_user_model):
    user = django_user_model.objects.create_user("wanjiku")
    make_agent("Wanjiku", phone="+254711000001", user=user)
    make_agent("Otieno", phone="+254711000002")
    Call.objects.create(call_id="CAOUT2", direction=Call.Direction.OUTBOUND, status=Call.Status.RINGING,
                        from_number=OUR_NUMBER, to_number="+254712345678", placed_by=user)

    assert dialled(route()) == "+254711000002"


def _hold_row_lock(agent_pk, ready, release, **changes):
    """In its own transaction, update an agent (taking its row lock) and hold it until `release`."""
    def hold():
        try:
            with transaction.atomic():
                AgentPhone.objects.filter(pk=agent_pk).update(**changes)
                ready.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert ready.wait(10)
    return thread


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks as PostgreSQL takes them")
def test_an_agent_lost_to_a_simultaneous_routing_is_not_kept_locked(rules, make_agent, route):
    first = make_agent("First in line", phone="+254711000001")
    second = make_agent("Second", phone="+254711000002",
                        last_routed_at=timezone.now() - timedelta(minutes=5))
    # Another routing is claiming `first`; the availability sync holds `second`.
    other_routing, sync = threading.Event(), threading.Event()
    holders = [
        _hold_row_lock(first.pk, threading.Event(), other_routing, last_routed_at=timezone.now()),
        _hold_row_lock(second.pk, threading.Event(), sync, availability_updated_at=timezone.now()),
    ]
    answer = {}

    def routing():
        try:
            answer["response"] = route("CALOST")
        finally:
            connection.close()

    caller = threading.Thread(target=routing)
    caller.start()
    time.sleep(0.5)  # our routing now waits for `first`
    other_routing.set()  # …which the other routing takes: ours moves on to `second`, and waits
    time.sleep(0.5)
    try:
        with transaction.atomic():
            # The sync (or a third routing) can lock `first` now: ours let it go.
            list(AgentPhone.objects.select_for_update(nowait=True).filter(pk=first.pk))
        lost_agent_free = True
    except DatabaseError:
        lost_agent_free = False
    sync.set()
    caller.join(10)
    for holder in holders:
        holder.join(10)

    assert lost_agent_free
    assert dialled(answer["response"]) == "+254711000002"
