"""Toll fraud: the numbers the softphone refuses to call, and that Sautikit never hears of them."""

import logging

import pytest
from django.test import Client

from agents.calls import CallNotPlaced, place_call
from agents.models import AllowedNumber
from integration.models import Call

# Countries a company might serve, so that these are refused for their type, not their country.
SERVED = ["KE", "US", "GB", "FR", "DE"]


@pytest.mark.parametrize("to, says", [
    ("+1 900 555 0100", "+19005550100 is a premium-rate number: premium-rate numbers can't be called"),
    ("+44 909 879 0000", "premium-rate numbers can't be called from the softphone"),
    ("0900 223 456", "premium-rate numbers can't be called from the softphone"),  # Kenya's own
    ("+33 884 012 345", "shared-cost numbers can't be called"),
    ("+49 180 12345", "shared-cost numbers can't be called"),
    ("+44 70 1234 5678", "personal numbers can't be called"),
    ("+49 164 12345", "pager numbers can't be called"),
    ("+44 55 1234 5678", "UAN numbers can't be called"),
    ("+49 177 991234567", "voicemail access numbers can't be called"),
    ("+44 56 1234 5678", "VoIP numbers can't be called"),
    ("+979 1234 56789", "satellite or international-network number (+979)"),
    ("+881 6 1234 5678", "satellite or international-network number (+881)"),
    ("+870 772 111 111", "satellite or international-network number (+870)"),
    ("+883 510 012 345", "satellite or international-network number (+883)"),
], ids=lambda value: value if value.startswith(("+", "0")) else "")
def test_special_tariff_and_satellite_numbers_are_refused_whatever_the_country(
        place, sautikit, settings, to, says):
    settings.OUTBOUND_COUNTRIES = SERVED

    response = place({"to": to})

    assert response.status_code == 403
    assert says in response.json()["error"]
    assert "a supervisor can add the number to the allowed numbers" in response.json()["error"]
    assert sautikit.requests == []
    assert not Call.objects.exists()


@pytest.mark.parametrize("to, country", [
    ("+252 61 234 5678", "Somalia"),
    ("+44 20 7946 0000", "United Kingdom"),
    ("+256 772 123 456", "Uganda"),
    ("+1 876 234 5678", "Jamaica"),  # +1, but not the United States
])
def test_numbers_outside_kenya_are_refused_by_default(place, sautikit, to, country):
    response = place({"to": to})

    assert response.status_code == 403
    assert f"is in {country}: only numbers in Kenya can be called from the softphone" in response.json()["error"]
    assert sautikit.requests == []


@pytest.mark.parametrize("to", ["0712 345 678", "0733 000 222", "+254 20 2012345", "0800 223 456"],
                         ids=["safaricom-mobile", "airtel-mobile", "nairobi-landline", "toll-free"])
def test_kenyan_mobiles_landlines_and_toll_free_numbers_are_called(place, sautikit, to):
    assert place({"to": to}).status_code == 201
    assert len(sautikit.calls) == 1


def test_a_country_the_company_adds_can_be_called(place, sautikit, settings):
    settings.OUTBOUND_COUNTRIES = ["KE", "UG"]

    assert place({"to": "+256 772 123 456"}).status_code == 201
    response = place({"to": "+255 712 345 678"})
    assert response.status_code == 403
    assert "only numbers in Kenya or Uganda can be called" in response.json()["error"]
    assert [c["to"] for c in sautikit.calls] == [["+256772123456"]]


def test_an_allow_listed_number_is_called_and_only_that_number(place, sautikit):
    AllowedNumber.objects.create(number="+870772111111", reason="Customer on MV Jambo (Inmarsat)")

    assert place({"to": "+870 772 111 111"}).status_code == 201
    assert place({"to": "+870 772 111 112"}).status_code == 403
    assert [c["to"] for c in sautikit.calls] == [["+870772111111"]]


def test_the_policy_holds_for_any_caller_of_place_call(agent, sautikit):
    """The softphone page, the API and the Freshdesk app all place calls through place_call."""
    with pytest.raises(CallNotPlaced) as refused:
        place_call(agent.user, "+19005550100")

    assert refused.value.http_status == 403
    assert "premium-rate numbers can't be called from the softphone" in refused.value.message
    assert sautikit.requests == []


def test_a_refusal_is_logged_with_the_agent(place, agent, sautikit, caplog):
    with caplog.at_level(logging.WARNING, logger="agents.calls"):
        place({"to": "+881 6 1234 5678"})

    [record] = [r for r in caplog.records if "destination policy" in r.getMessage()]
    assert (record.agent_id, record.user_id, record.reason) == (
        agent.freshdesk_agent_id, agent.user.pk, "international_network")
    assert record.to == "+88161234****"


def test_supervisors_add_an_exception_in_the_admin(client, django_user_model, sautikit):
    from agents.permissions import ensure_supervisors_group

    supervisor = django_user_model.objects.create_user("amina", password="x", is_staff=True)
    supervisor.groups.add(ensure_supervisors_group())
    admin = Client()
    admin.force_login(supervisor)

    response = admin.post("/admin/agents/allowednumber/add/",
                          {"number": "+870 772 111 111", "reason": "Customer at sea"})

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AllowedNumber.objects.get()
    assert (entry.number, entry.added_by) == ("+870772111111", "amina")
    listing = admin.get("/admin/agents/allowednumber/").content.decode()
    assert "refused: international network" in listing
