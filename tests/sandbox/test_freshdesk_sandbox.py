"""The Freshdesk stand-in answers as Freshdesk API v2 does, seen from an HTTP client.

No Django and no database: these talk to the server with ``requests`` only.
"""

import re
import time

import pytest
import requests

from integration.sandbox.freshdesk import FreshdeskSandbox

CALLER = "+254711000001"


@pytest.fixture(scope="module")
def fd_server():
    with FreshdeskSandbox(api_key="fd-sandbox-test") as server:
        yield server


@pytest.fixture
def fd(fd_server):
    fd_server.reset()
    yield fd_server
    fd_server.reset()


@pytest.fixture
def api(fd):
    """A client session authenticated the Freshdesk way: API key as user, any password."""
    session = requests.Session()
    session.auth = (fd.api_key, "X")
    session.url = lambda path: f"{fd.base_url}{path}"
    yield session
    session.close()


def phone_ticket(**overrides):
    ticket = {"subject": "Missed call from +254711000001: callback required", "description": "<p>Status: busy</p>",
              "phone": CALLER, "name": CALLER, "status": 2, "priority": 2, "source": 3,
              "tags": ["sautikit", "missed_call", "callback_needed"]}
    ticket.update(overrides)
    return {k: v for k, v in ticket.items() if v is not None}


def errors_of(response):
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["description"] == "Validation failed"
    return {e["field"]: (e["code"], e["message"]) for e in body["errors"]}


# -- creating tickets ----------------------------------------------------------------------


def test_valid_phone_ticket_is_created_with_a_new_requester_contact(fd, api):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket())

    assert response.status_code == 201
    ticket = response.json()
    assert ticket["subject"] == "Missed call from +254711000001: callback required"
    assert (ticket["status"], ticket["priority"], ticket["source"]) == (2, 2, 3)
    assert ticket["tags"] == ["sautikit", "missed_call", "callback_needed"]
    assert ticket["description_text"] == "Status: busy"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ticket["created_at"])
    assert response.headers["Location"] == f"{fd.base_url}/api/v2/tickets/{ticket['id']}"
    assert fd.tickets[ticket["id"]] == ticket
    requester = fd.contacts[ticket["requester_id"]]
    assert (requester["name"], requester["phone"]) == (CALLER, CALLER)


def test_every_response_carries_rate_limit_headers(api):
    response = api.get(api.url("/api/v2/agents/me"))

    assert response.status_code == 200
    for header in ("X-RateLimit-Total", "X-RateLimit-Remaining", "X-RateLimit-Used-CurrentRequest"):
        assert response.headers[header].isdigit()


def test_phone_only_requester_needs_a_name_even_when_the_contact_exists(fd, api):
    known = fd.add_contact("Achieng", phone=CALLER)

    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(name=None))

    assert errors_of(response) == {"name": ("missing_field", "It should not be blank if phone is only given")}
    assert fd.tickets == {}
    created = api.post(api.url("/api/v2/tickets"), json=phone_ticket(name="Someone else")).json()
    assert created["requester_id"] == known["id"]
    assert list(fd.contacts) == [known["id"]]


def test_phone_matches_a_contacts_mobile_only_character_for_character(fd, api):
    known = fd.add_contact("Otieno", mobile=CALLER)

    exact = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()
    local_format = api.post(api.url("/api/v2/tickets"), json=phone_ticket(phone="0711000001")).json()

    assert exact["requester_id"] == known["id"]
    assert local_format["requester_id"] != known["id"]
    assert fd.contacts[local_format["requester_id"]]["phone"] == "0711000001"


def test_ticket_without_any_requester_identity_is_rejected(fd, api):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(phone=None, name=None))

    code, message = errors_of(response)["requester_id"]
    assert code == "missing_field"
    assert message.startswith("Please fill at least 1 of requester_id, phone, email")
    assert fd.tickets == {}


@pytest.mark.parametrize("field, value, listed", [
    ("status", 1, "2,3,4,5"),
    ("priority", 5, "1,2,3,4"),
    ("source", 4, "1,2,3,5,6,7,8,9,11,10"),
])
def test_out_of_range_choice_is_rejected_with_the_allowed_values(fd, api, field, value, listed):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(**{field: value}))

    assert errors_of(response) == {field: ("invalid_value", f"It should be one of these values: '{listed}'")}
    assert fd.tickets == {}


def test_choice_sent_as_a_string_is_a_datatype_mismatch(api):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(status="2"))

    assert errors_of(response)["status"][0] == "datatype_mismatch"


@pytest.mark.parametrize("field", ["subject", "description"])
def test_missing_subject_or_description_is_rejected(fd, api, field):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(**{field: None}))

    assert errors_of(response) == {field: ("missing_field", "It should be a/an String")}
    assert fd.tickets == {}


def test_subject_of_the_wrong_type_is_a_datatype_mismatch(api):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(subject=42))

    assert errors_of(response) == {
        "subject": ("datatype_mismatch", "Value set is of type Integer.It should be a/an String")
    }


def test_unknown_field_is_rejected(fd, api):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(callback_needed=True))

    assert errors_of(response) == {"callback_needed": ("invalid_field", "Unexpected/invalid field in request")}
    assert fd.tickets == {}


@pytest.mark.parametrize("tags, code", [("sautikit", "datatype_mismatch"), ([1], "datatype_mismatch"),
                                        (["a,b"], "invalid_value"), (["x" * 33], "invalid_value")])
def test_tags_must_be_a_list_of_short_strings(api, tags, code):
    response = api.post(api.url("/api/v2/tickets"), json=phone_ticket(tags=tags))

    assert errors_of(response)["tags"][0] == code


def test_body_that_is_not_json_is_refused(api):
    not_json = api.post(api.url("/api/v2/tickets"), data=b"{nope", headers={"Content-Type": "application/json"})
    form = api.post(api.url("/api/v2/tickets"), data={"subject": "x"})

    assert (not_json.status_code, not_json.json()["code"]) == (400, "invalid_json")
    assert (form.status_code, form.json()["code"]) == (415, "invalid_content_type")


@pytest.mark.parametrize("auth", [("wrong-key", "X"), None])
def test_bad_or_missing_api_key_gets_401(fd, auth):
    response = requests.post(f"{fd.base_url}/api/v2/tickets", json=phone_ticket(), auth=auth)

    assert response.status_code == 401
    assert response.json() == {"code": "invalid_credentials",
                               "message": "You have to be logged in to perform this action."}
    assert fd.tickets == {}


# -- reading and updating tickets ----------------------------------------------------------


def test_unknown_ticket_is_404_with_an_empty_body(api):
    response = api.get(api.url("/api/v2/tickets/999999"))

    assert (response.status_code, response.content) == (404, b"")


def test_update_replaces_the_whole_tag_list_and_validates_status(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()

    updated = api.put(api.url(f"/api/v2/tickets/{ticket['id']}"), json={"tags": ["sautikit", "missed_call"]})
    bad = api.put(api.url(f"/api/v2/tickets/{ticket['id']}"), json={"status": 7})

    assert updated.status_code == 200
    assert updated.json()["tags"] == ["sautikit", "missed_call"]
    assert errors_of(bad)["status"][0] == "invalid_value"
    assert api.get(api.url(f"/api/v2/tickets/{ticket['id']}")).json()["tags"] == ["sautikit", "missed_call"]


def test_list_filters_by_requester_and_updated_since(fd, api):
    first = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()
    second = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()
    api.post(api.url("/api/v2/tickets"), json=phone_ticket(phone="+254722000002"))

    mine = api.get(api.url("/api/v2/tickets"), params={"requester_id": first["requester_id"],
                                                        "order_by": "created_at", "order_type": "desc"})
    future = api.get(api.url("/api/v2/tickets"), params={"updated_since": "2999-01-01T00:00:00Z"})

    assert [t["id"] for t in mine.json()] == [second["id"], first["id"]]
    assert mine.json()[0]["tags"] == ["sautikit", "missed_call", "callback_needed"]
    assert "description" not in mine.json()[0]
    assert future.json() == []


# -- notes ---------------------------------------------------------------------------------


def test_private_json_note_is_added_and_listed_in_conversations(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()

    response = api.post(api.url(f"/api/v2/tickets/{ticket['id']}/notes"),
                        json={"body": "<p>Call ended. Duration: 42s.</p>", "private": True})

    assert response.status_code == 201
    note = response.json()
    assert (note["ticket_id"], note["private"], note["body_text"]) == (ticket["id"], True, "Call ended. Duration: 42s.")
    conversations = api.get(api.url(f"/api/v2/tickets/{ticket['id']}/conversations")).json()
    assert [c["id"] for c in conversations] == [note["id"]]
    assert fd.notes[ticket["id"]][0]["body"] == "<p>Call ended. Duration: 42s.</p>"


def test_multipart_note_records_its_attachments(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()
    audio = bytes(range(256)) * 8

    response = api.post(api.url(f"/api/v2/tickets/{ticket['id']}/notes"),
                        data={"body": "Recording attached", "private": "true"},
                        files=[("attachments[]", ("call.mp3", audio, "audio/mpeg"))])

    assert response.status_code == 201
    attachment = response.json()["attachments"][0]
    assert (attachment["name"], attachment["content_type"], attachment["size"]) == ("call.mp3", "audio/mpeg", 2048)
    assert requests.get(f"{fd.base_url}/_sandbox/attachments/{attachment['id']}").content == audio
    assert fd.requests[-1]["form"] == {"body": "Recording attached", "private": "true"}


def test_note_needs_a_body_and_an_existing_ticket(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()

    missing_body = api.post(api.url(f"/api/v2/tickets/{ticket['id']}/notes"), json={"private": True})
    no_ticket = api.post(api.url("/api/v2/tickets/999999/notes"), json={"body": "x"})

    assert errors_of(missing_body) == {"body": ("missing_field", "It should be a/an String")}
    assert no_ticket.status_code == 404
    assert fd.notes[ticket["id"]] == []


# -- contacts and agents -------------------------------------------------------------------


def test_contacts_are_found_by_exact_phone_or_mobile(fd, api):
    by_phone = fd.add_contact("Achieng", phone=CALLER)
    by_mobile = fd.add_contact("Otieno", mobile="+254733000003")

    assert [c["id"] for c in api.get(api.url("/api/v2/contacts"), params={"phone": CALLER}).json()] == [by_phone["id"]]
    assert [c["id"] for c in api.get(api.url("/api/v2/contacts"),
                                     params={"mobile": "+254733000003"}).json()] == [by_mobile["id"]]
    assert api.get(api.url("/api/v2/contacts"), params={"phone": "0711000001"}).json() == []


def test_agents_are_paginated_with_a_link_header(fd, api):
    created = [fd.add_agent(name=f"Agent {n}", mobile=f"+25471100000{n}") for n in range(5)]

    response = api.get(api.url("/api/v2/agents"), params={"per_page": 2})
    seen = list(response.json())
    while "next" in response.links:
        response = api.get(response.links["next"]["url"])
        seen.extend(response.json())

    assert [a["id"] for a in seen] == [a["id"] for a in created]
    assert seen[0]["contact"]["mobile"] == "+254711000000"
    assert "Link" not in response.headers


def test_agents_per_page_above_100_is_rejected(api):
    response = api.get(api.url("/api/v2/agents"), params={"per_page": 101})

    assert errors_of(response) == {
        "per_page": ("datatype_mismatch", "It should be a Positive Integer less than or equal to 100")
    }


def test_agent_availability_and_me(fd, api):
    assert api.get(api.url("/api/v2/agents/me")).json()["contact"]["name"] == "Sandbox Admin"
    agent = fd.add_agent(id=42, name="Wanjiku", phone="+254711000042")

    fd.set_agent_available(42, False)

    assert agent["available"] is True
    assert api.get(api.url("/api/v2/agents/me")).json()["id"] == 42
    assert api.get(api.url("/api/v2/agents")).json()[0]["available"] is False


# -- rate limit and faults -----------------------------------------------------------------


def test_groups_are_listed_with_pages_and_membership_shows_on_agents(fd, api):
    wanjiku = fd.add_agent(id=7, name="Wanjiku", mobile="+254711000007")
    sales = fd.add_group("Sales", agent_ids=[7])
    fd.add_group("Support")
    fd.add_group("Accounts")

    first = api.get(api.url("/api/v2/groups"), params={"per_page": 2})
    second = requests.get(first.links["next"]["url"], auth=api.auth)

    assert [g["name"] for g in first.json() + second.json()] == ["Sales", "Support", "Accounts"]
    assert "next" not in second.links
    assert set(first.json()[0]) >= {"id", "name", "description", "business_hour_id", "group_type"}
    assert api.get(api.url("/api/v2/agents/7")).json()["group_ids"] == [sales["id"]]
    assert api.get(api.url(f"/api/v2/groups/{sales['id']}")).json()["agent_ids"] == [wanjiku["id"]]


def test_deleting_a_group_removes_it_from_its_agents(fd, api):
    fd.add_agent(id=8, mobile="+254711000008")
    sales = fd.add_group("Sales", agent_ids=[8])

    fd.delete_group(sales["id"])

    assert api.get(api.url("/api/v2/groups")).json() == []
    assert api.get(api.url("/api/v2/agents/8")).json()["group_ids"] == []
    assert api.get(api.url(f"/api/v2/groups/{sales['id']}")).status_code == 404


def test_ticket_is_created_in_an_existing_group_and_refused_for_an_unknown_one(fd, api):
    sales = fd.add_group("Sales")

    created = api.post(api.url("/api/v2/tickets"), json=phone_ticket(group_id=sales["id"]))
    refused = api.post(api.url("/api/v2/tickets"), json=phone_ticket(group_id=sales["id"] + 1))

    assert created.status_code == 201 and created.json()["group_id"] == sales["id"]
    assert errors_of(refused) == {
        "group_id": ("invalid_value", "There is no group matching the given group_id")}
    assert len(fd.tickets) == 1


def test_rate_limit_answers_429_with_retry_after():
    with FreshdeskSandbox(api_key="k", rate_limit_per_minute=3) as limited:
        url, auth = f"{limited.base_url}/api/v2/tickets", ("k", "X")
        allowed = [requests.post(url, json=phone_ticket(), auth=auth) for _ in range(3)]
        refused = requests.post(url, json=phone_ticket(), auth=auth)

        assert [r.status_code for r in allowed] == [201, 201, 201]
        assert [r.headers["X-RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "exceeded the limit of requests per minute" in refused.json()["message"]
        assert len(limited.tickets) == 3


def test_fail_next_answers_with_the_status_and_applies_nothing(fd, api):
    fd.fail_next(503)
    fd.fail_next(429, headers={"Retry-After": "2"})

    unavailable = api.post(api.url("/api/v2/tickets"), json=phone_ticket())
    throttled = api.post(api.url("/api/v2/tickets"), json=phone_ticket())
    accepted = api.post(api.url("/api/v2/tickets"), json=phone_ticket())

    assert unavailable.status_code == 503
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "2")
    assert accepted.status_code == 201
    assert list(fd.tickets) == [accepted.json()["id"]]
    assert sum(r["method"] == "POST" and r["path"] == "/api/v2/tickets" for r in fd.requests) == 3


def test_fail_next_only_hits_requests_under_its_path_prefix(fd, api):
    fd.fail_next(500, count=2, path_prefix="/api/v2/agents")

    assert api.post(api.url("/api/v2/tickets"), json=phone_ticket()).status_code == 201
    assert [api.get(api.url("/api/v2/agents")).status_code for _ in range(3)] == [500, 500, 200]


def test_drop_after_apply_creates_the_ticket_but_loses_the_answer(fd, api):
    fd.drop_after_apply()
    api.get(api.url("/api/v2/tickets"))  # a look-up first does not use the fault up

    with pytest.raises(requests.ConnectionError):
        api.post(api.url("/api/v2/tickets"), json=phone_ticket())

    assert len(fd.tickets) == 1
    assert api.post(api.url("/api/v2/tickets"), json=phone_ticket()).status_code == 201
    assert len(fd.tickets) == 2  # retrying blindly duplicates: that is the client's problem to avoid


def test_slow_create_stores_the_ticket_after_the_client_gave_up(fd, api):
    fd.slow_create(1.0)

    with pytest.raises(requests.Timeout):
        api.post(api.url("/api/v2/tickets"), json=phone_ticket(), timeout=0.2)
    assert fd.tickets == {}  # still held: a look now finds nothing
    # Only the create is held: a note and a look-up in the meantime go through at once.
    assert api.get(api.url("/api/v2/tickets"), timeout=0.5).status_code == 200

    deadline = time.monotonic() + 5
    while not fd.tickets and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [t["subject"] for t in fd.tickets.values()] == [phone_ticket()["subject"]]
    assert api.post(api.url("/api/v2/tickets"), json=phone_ticket(), timeout=0.5).status_code == 201


def test_a_restarted_sandbox_with_a_state_file_keeps_its_data_and_never_reuses_an_id(tmp_path):
    state = tmp_path / "freshdesk.json"
    with FreshdeskSandbox(api_key="k", state_file=state) as first:
        created = requests.post(f"{first.base_url}/api/v2/tickets", json=phone_ticket(), auth=("k", "X")).json()
        requests.post(f"{first.base_url}/api/v2/tickets/{created['id']}/notes", json={"body": "kept"},
                      auth=("k", "X"))

    with FreshdeskSandbox(api_key="k", state_file=state) as second:
        kept = requests.get(f"{second.base_url}/api/v2/tickets/{created['id']}", auth=("k", "X")).json()
        again = requests.post(f"{second.base_url}/api/v2/tickets", json=phone_ticket(), auth=("k", "X")).json()
        assert kept["subject"] == created["subject"]
        assert [n["body"] for n in second.notes[created["id"]]] == ["kept"]
        assert again["id"] > created["id"]
        assert again["requester_id"] == created["requester_id"]  # the contact was kept too

    with FreshdeskSandbox(api_key="k") as in_memory:  # without a file, nothing is kept
        assert in_memory.tickets == {}


def test_delay_makes_matching_requests_slow_until_cleared(fd, api):
    fd.delay("/api/v2/agents", 1.0)

    with pytest.raises(requests.Timeout):
        api.get(api.url("/api/v2/agents"), timeout=0.2)
    assert api.get(api.url("/api/v2/tickets"), timeout=0.5).status_code == 200

    fd.delay("/api/v2/agents", 0)
    assert api.get(api.url("/api/v2/agents"), timeout=0.5).status_code == 200


# -- inspection ----------------------------------------------------------------------------


def test_html_page_lists_tickets_with_their_notes_escaped(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket(subject="<script>alert(1)</script>")).json()
    api.post(api.url(f"/api/v2/tickets/{ticket['id']}/notes"), json={"body": "Call ended. Duration: 42s."})

    page = requests.get(f"{fd.base_url}/_sandbox/")

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert CALLER in page.text and "callback_needed" in page.text and "Open" in page.text
    assert "<dt>Group</dt><dd>—</dd>" in page.text
    assert "Call ended. Duration: 42s." in page.text


def test_page_shows_links_as_links_local_times_and_the_requester_once(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket(name=f"Caller {CALLER}")).json()
    api.post(api.url(f"/api/v2/tickets/{ticket['id']}/notes"), json={"body": (
        '<p>Call recording: <a href="https://rec.example/CA1.wav?sig=a&amp;b=1">listen to the recording</a>.'
        '<a href="javascript:alert(1)">trap</a><img src=x onerror=alert(1)></p>')})

    page = requests.get(f"{fd.base_url}/_sandbox/").text

    assert ('<a href="https://rec.example/CA1.wav?sig=a&amp;b=1" target="_blank" rel="noopener noreferrer">'
            "listen to the recording</a>") in page
    assert "javascript:" not in page and "<img" not in page and "onerror" not in page
    assert f"<dd>Caller {CALLER}</dd>" in page  # the number is in the name: not twice
    created = re.search(r"<dt>Created</dt><dd>(.*?)</dd>", page)[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d EAT", created)
    assert "Times in Africa/Nairobi." in page and "Z</" not in page


def test_agent_ticket_address_leads_to_the_ticket_on_the_page(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()

    response = requests.get(f"{fd.base_url}/a/tickets/{ticket['id']}", allow_redirects=False)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/_sandbox/#ticket-{ticket['id']}"
    assert f"id='ticket-{ticket['id']}'" in requests.get(f"{fd.base_url}{response.headers['Location']}").text


def test_state_endpoint_and_reset(fd, api):
    ticket = api.post(api.url("/api/v2/tickets"), json=phone_ticket()).json()
    api.post(api.url(f"/api/v2/tickets/{ticket['id']}/notes"), json={"body": "hello"})

    state = requests.get(f"{fd.base_url}/_sandbox/state").json()
    assert state == fd.state()
    assert state["tickets"][0]["notes"][0]["body"] == "hello"

    assert requests.post(f"{fd.base_url}/_sandbox/reset").status_code == 200
    assert (fd.tickets, fd.contacts, fd.requests) == ({}, {}, [])
