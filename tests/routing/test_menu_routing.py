"""The voice menu through the real webhook view: what the caller hears, and where their keys lead."""

import itertools
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from agents.models import AgentPhone
from integration.models import Call, Menu, MenuOption, WebhookEvent
from integration.routing.business_hours import DAYS
from tests.factories import signed

from .conftest import OUR_NUMBER, dialled, kinds

pytestmark = pytest.mark.django_db(transaction=True)

_calls = itertools.count(1)
ENGLISH_MENU = ("Thank you for calling Duka Bora. For sales, press 1. For customer support, press 2. "
                "Kwa Kiswahili, bonyeza 9.")
SWAHILI_MENU = "Karibu Duka Bora. Kwa mauzo, bonyeza 1. Kwa usaidizi, bonyeza 2."
VOICEMAIL = {"record": {"maxLength": 120, "finishOnKey": "#", "playBeep": True}}


def get_digits(text, language="en-KE"):
    return {"actions": [{"getDigits": {"numDigits": 1, "timeout": 8,
                                       "say": {"text": text, "language": language}}}]}


@pytest.fixture
def caller(post_webhook):
    """One call: `.ring()` is the first call.routing, `.press(keys)` each answer to the menu."""

    class Caller:
        def __init__(self):
            self.call_id = f"CAM{next(_calls)}"
            self.signed_at = int(time.time()) - 60  # each step signed a second after the last

        def ring(self):
            return post_webhook(signed("call.routing", self.call_id, to=OUR_NUMBER, signed_at=self.signed_at))

        def press(self, digits, again=False):
            if not again:
                self.signed_at += 1
            return post_webhook(signed("call.routing", self.call_id, to=OUR_NUMBER, digits=digits,
                                       signed_at=self.signed_at))

        @property
        def call(self):
            return Call.objects.select_related("team", "agent").get(call_id=self.call_id)

    return Caller


def member(make_agent, team, name, phone, **fields):
    agent = make_agent(name, phone=phone, **fields)
    agent.teams.add(team)
    return agent


def test_the_first_routing_plays_the_menu_and_rings_nobody(menu, teams, make_agent, caller):
    member(make_agent, teams[0], "Wanjiku", "+254711000001")
    call = caller()

    response = call.ring()

    assert response.status_code == 200
    assert response.json() == get_digits(ENGLISH_MENU)
    assert call.call.agent is None
    assert AgentPhone.objects.get().last_routed_at is None


def test_a_kiswahili_number_plays_its_menu_in_kiswahili_without_the_switch_line(menu, caller):
    menu.language = "sw-KE"
    menu.language_key = ""
    menu.save()

    assert caller().ring().json() == get_digits(SWAHILI_MENU, "sw-KE")


def test_pressing_2_rings_a_free_support_agent_only(menu, teams, make_agent, caller):
    sales, support = teams
    member(make_agent, sales, "Sales, idle longest", "+254711000001")
    make_agent("In no team", phone="+254711000003")
    agent = member(make_agent, support, "Support", "+254711000002",
                   last_routed_at=timezone.now())
    call = caller()
    call.ring()

    response = call.press("2")

    assert response.json() == {"actions": [
        {"say": {"text": "Connecting you to customer support.", "language": "en-KE"}},
        {"dial": {"to": "+254711000002", "callerId": OUR_NUMBER, "timeout": 25}},
    ]}
    assert (call.call.agent, call.call.team, call.call.menu_choice) == (agent, support, "2")


def test_the_language_key_plays_the_menu_in_kiswahili_and_the_team_answers_in_kiswahili(
        menu, teams, make_agent, caller):
    member(make_agent, teams[0], "Wanjiku", "+254711000001")
    call = caller()
    call.ring()

    assert call.press("9").json() == get_digits(SWAHILI_MENU, "sw-KE")
    assert call.press("1").json()["actions"][0] == {
        "say": {"text": "Tunakuunganisha na timu yetu ya mauzo.", "language": "sw-KE"}}
    assert call.call.language == "sw-KE"


def test_a_team_message_left_empty_is_the_desks_in_the_callers_language(menu, teams, make_agent, caller,
                                                                        rules):
    teams[0].greeting_sw = ""
    teams[0].save()
    member(make_agent, teams[0], "Wanjiku", "+254711000001")
    call = caller()
    call.ring()
    call.press("9")

    assert call.press("1").json()["actions"][0] == {"say": {"text": rules.greeting_sw, "language": "sw-KE"}}


@pytest.mark.parametrize("digits", ["", "x", "99", "0", "1" * 5000, 2, None, ["1"], {"key": "1"}, "\u0000"])
def test_anything_but_a_key_on_the_menu_repeats_it_once_then_goes_to_the_default_team(
        menu, teams, make_agent, caller, digits):
    member(make_agent, teams[1], "Support", "+254711000002")
    call = caller()
    call.ring()

    again = call.press(digits)
    default = call.press(digits)

    assert again.status_code == 200
    assert again.json() == get_digits("Sorry, we did not get your choice. For sales, press 1. "
                                      "For customer support, press 2. Kwa Kiswahili, bonyeza 9.")
    assert default.status_code == 200
    assert dialled(default) == "+254711000002"
    assert (call.call.menu_choice, call.call.team, call.call.menu_misses) == ("none", teams[1], 2)
    assert WebhookEvent.objects.filter(call_id=call.call_id, event="call.routing").count() == 3


def test_with_no_default_team_a_caller_who_chooses_nothing_reaches_the_whole_desk(menu, make_agent, caller):
    menu.default_team = None
    menu.save()
    make_agent("In no team", phone="+254711000003")
    call = caller()
    call.ring()
    call.press("")

    assert dialled(call.press("")) == "+254711000003"


def test_a_team_with_nobody_free_takes_its_busy_action(menu, teams, make_agent, caller):
    sales, _ = teams
    sales.busy_message_en = "Our sales team is busy. Please call again later."
    sales.busy_action = "hangup"
    sales.save()
    member(make_agent, sales, "Away", "+254711000001", available=False)
    make_agent("Free but not in sales", phone="+254711000003")
    call = caller()
    call.ring()

    assert call.press("1").json() == {"actions": [
        {"say": {"text": "Our sales team is busy. Please call again later.", "language": "en-KE"}},
        {"hangup": {}},
    ]}
    assert call.call.agent is None


def test_a_busy_team_overflows_to_its_overflow_team(menu, teams, make_agent, caller, rules):
    sales, support = teams
    sales.busy_action = "overflow"
    sales.overflow_team = support
    sales.save()
    member(make_agent, sales, "On a call", "+254711000001", available=False)
    agent = member(make_agent, support, "Support", "+254711000002")
    call = caller()
    call.ring()

    response = call.press("1")

    assert response.json()["actions"] == [
        {"say": {"text": rules.greeting_en, "language": "en-KE"}},
        {"dial": {"to": "+254711000002", "callerId": OUR_NUMBER, "timeout": 25}},
    ]
    assert (call.call.agent, call.call.team) == (agent, sales)  # the ticket still goes to Sales


def test_an_overflow_that_finds_nobody_either_takes_a_voicemail(menu, teams, make_agent, caller):
    sales, support = teams
    sales.busy_action, sales.overflow_team, sales.busy_message_en = "overflow", support, "Sales are busy."
    sales.save()
    support.business_hours = f"{DAYS[(_nairobi_now().weekday() + 3) % 7]} 08:00-18:00"  # closed today
    support.save()
    member(make_agent, support, "Support, but closed", "+254711000002")
    call = caller()
    call.ring()

    assert call.press("1").json()["actions"] == [
        {"say": {"text": "Sales are busy.", "language": "en-KE"}}, VOICEMAIL, {"hangup": {}}]


def _nairobi_now():
    return timezone.now().astimezone(ZoneInfo("Africa/Nairobi"))


def test_out_of_the_teams_hours_the_caller_hears_its_closed_message(menu, teams, make_agent, caller):
    sales, _ = teams
    sales.business_hours = f"{DAYS[(_nairobi_now().weekday() + 3) % 7]} 08:00-18:00"
    sales.closed_message_en = "Our sales team works Monday to Friday. Please leave a message."
    sales.closed_message_sw = "Timu ya mauzo inafanya kazi Jumatatu hadi Ijumaa. Tafadhali acha ujumbe."
    sales.save()
    member(make_agent, sales, "Wanjiku", "+254711000001")
    call = caller()
    call.ring()
    call.press("9")

    assert call.press("1").json()["actions"] == [
        {"say": {"text": sales.closed_message_sw, "language": "sw-KE"}}, VOICEMAIL, {"hangup": {}}]
    assert AgentPhone.objects.get().last_routed_at is None


def test_a_teams_own_holidays_close_it_while_the_desk_is_open(menu, teams, make_agent, caller, rules):
    sales, support = teams
    sales.holidays = f"{_nairobi_now().date().isoformat()}  # stocktaking"
    sales.save()
    member(make_agent, sales, "Wanjiku", "+254711000001")
    member(make_agent, support, "Otieno", "+254711000002")
    first, second = caller(), caller()
    first.ring(), second.ring()

    assert kinds(first.press("1")) == ["say", "record", "hangup"]
    assert dialled(second.press("2")) == "+254711000002"


def test_a_repeated_delivery_of_a_choice_reaches_the_same_agent(menu, teams, make_agent, caller):
    for n in range(3):
        member(make_agent, teams[1], f"Support {n}", f"+25471100000{n}")
    call = caller()
    call.ring()

    first = call.press("2")
    again = call.press("2", again=True)

    assert again.json() == first.json()
    assert AgentPhone.objects.exclude(last_routed_at=None).count() == 1
    assert WebhookEvent.objects.filter(call_id=call.call_id).count() == 2


def test_a_repeated_delivery_of_a_wrong_key_plays_the_menu_again_without_counting_twice(menu, caller):
    call = caller()
    call.ring()

    first = call.press("x")
    again = call.press("x", again=True)

    assert again.json() == first.json()
    assert call.call.menu_misses == 1


def test_a_repeated_delivery_with_other_digits_is_a_duplicate_of_the_step_signed(menu, teams, make_agent,
                                                                                  caller):
    member(make_agent, teams[0], "Sales", "+254711000001")
    member(make_agent, teams[1], "Support", "+254711000002")
    call = caller()
    call.ring()

    first = call.press("2")
    replayed = call.press("1", again=True)  # same signed_at, unsigned digits changed

    assert dialled(replayed) == dialled(first) == "+254711000002"
    assert call.call.team == teams[1]


def test_the_first_routing_delivered_again_plays_the_menu_again(menu, caller):
    call = caller()

    assert call.ring().json() == call.ring().json() == get_digits(ENGLISH_MENU)
    assert WebhookEvent.objects.filter(call_id=call.call_id).count() == 1


def test_a_message_key_says_it_and_hangs_up(menu, caller):
    MenuOption.objects.create(menu=menu, key="3", label_en="our M-PESA paybill", label_sw="paybill ya M-PESA",
                              action="message", message_en="Our paybill number is 522 522.",
                              message_sw="Nambari yetu ya paybill ni 522 522.")
    call = caller()
    call.ring()
    call.press("9")

    assert call.press("3").json() == {"actions": [
        {"say": {"text": "Nambari yetu ya paybill ni 522 522.", "language": "sw-KE"}}, {"hangup": {}}]}
    assert call.call.heard_message is True


def test_a_voicemail_key_takes_a_message_for_its_team(menu, teams, caller):
    MenuOption.objects.create(menu=menu, key="3", label_en="accounts", label_sw="hesabu", action="voicemail",
                              team=teams[0])
    call = caller()
    call.ring()

    assert call.press("3").json() == {"actions": [
        {"say": {"text": "Please leave your message after the tone, and we will call you back.",
                 "language": "en-KE"}}, VOICEMAIL, {"hangup": {}}]}
    assert (call.call.team, call.call.menu_choice) == (teams[0], "3")


def test_a_team_whose_group_was_deleted_sends_its_callers_to_the_whole_desk(menu, teams, make_agent, caller):
    teams[0].in_freshdesk = False
    teams[0].save()
    make_agent("In no team", phone="+254711000003")
    call = caller()
    call.ring()

    assert dialled(call.press("1")) == "+254711000003"
    assert call.call.team is None


def test_a_number_without_a_menu_of_its_own_gets_the_general_one_or_none(menu, make_agent, post_webhook):
    make_agent("Wanjiku", phone="+254711000001")
    other_number = signed("call.routing", "CAOTHER1", to="+254203893801")

    assert kinds(post_webhook(other_number)) == ["say", "dial"]  # only +254203893800 has a menu

    Menu.objects.create(number="", language="sw-KE")
    assert kinds(post_webhook(signed("call.routing", "CAOTHER2", to="+254203893801"))) == ["getDigits"]


def test_a_switched_off_menu_routes_to_the_whole_desk_as_before(menu, make_agent, route):
    menu.enabled = False
    menu.save()
    make_agent("Wanjiku", phone="+254711000001")

    assert dialled(route()) == "+254711000001"


def test_keys_for_a_call_already_over_ring_nobody(menu, teams, make_agent, caller, post_webhook, run_worker):
    member(make_agent, teams[1], "Support", "+254711000002")
    call = caller()
    call.ring()
    post_webhook(signed("call.failed", call.call_id, status="no-answer"))
    run_worker(max_rounds=1, must_finish=False)  # the worker records that the call is over

    assert kinds(call.press("2")) == ["say", "record", "hangup"]
    assert AgentPhone.objects.get().last_routed_at is None


def test_callers_choosing_the_same_team_together_never_reach_the_same_agent(menu, teams, make_agent):
    for n in range(3):
        member(make_agent, teams[1], f"Support {n}", f"+25471100000{n}")
    make_agent("Free, in no team", phone="+254711000009")
    signed_at = int(time.time()) - 30
    for n in range(6):  # everyone has heard the menu
        first = signed("call.routing", f"CATOG{n}", to=OUR_NUMBER, signed_at=signed_at)
        Client().post("/webhooks/sautikit/", first, content_type="application/json")
    start, answers = threading.Barrier(6), {}

    def press(n):
        try:
            start.wait()
            body = signed("call.routing", f"CATOG{n}", to=OUR_NUMBER, digits="2", signed_at=signed_at + 1)
            answers[n] = Client().post("/webhooks/sautikit/", body, content_type="application/json")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reached = [dialled(answer) for answer in answers.values()]
    assert sorted(filter(None, reached)) == ["+254711000000", "+254711000001", "+254711000002"]
    assert reached.count(None) == 3
