"""`manage.py simulate_call STORY`: play a call's Sautikit webhooks against a running SautiDesk.

Stories:

* `missed`: a customer calls and nobody answers (call.failed): a callback ticket.
* `answered`: call.answered, call.completed, recording.ready: a ticket with its notes.
* `routing`: Sautikit asks where to send a call (call.routing); the voice actions are printed,
  then what they lead to is played: the agent answers, or the caller leaves a voicemail.
* `callback`: a missed call, then an agent calls the customer back through the Sautikit
  stand-in, which plays the call back; the callback closes. Sandbox mode only: it places a call.
* `menu`: the voice menu: call.routing, then one more with each key of `--press` (`--press 2`,
  or `--press 92` for Kiswahili then 2); then the call is answered, or missed with `--missed`.

Each webhook is signed as Sautikit signs it; the command waits for the worker and prints the
ticket and its notes as the Freshdesk sandbox holds them.
"""

import json
import logging
import time
import uuid

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from agents.calls import CallNotPlaced, place_call
from agents.models import AgentPhone
from integration.models import Call, Menu, WebhookEvent
from integration.intake.signature import sign

FINISHED = (WebhookEvent.Status.DONE, WebhookEvent.Status.FAILED, WebhookEvent.Status.IGNORED)


class Command(BaseCommand):
    help = "Send correctly signed Sautikit webhooks for a missed, answered, routed or called-back call."
    requires_system_checks = []  # it needs only SautiDesk's URL and the webhook secret

    def add_arguments(self, parser):
        parser.add_argument("story", choices=["missed", "answered", "routing", "callback", "menu"])
        parser.add_argument("--press", default="1",
                            help="menu story: the keys the caller presses, one menu step each (default 1).")
        parser.add_argument("--missed", action="store_true",
                            help="menu story: the agent rung does not answer.")
        parser.add_argument("--from", dest="caller", default="0712345678", help="Caller's number.")
        parser.add_argument("--to", default="+254203893800", help="The Sautikit number called.")
        parser.add_argument("--url", default=settings.PUBLIC_BASE_URL or "http://127.0.0.1:8000",
                            help="Where SautiDesk runs (default: PUBLIC_BASE_URL).")
        parser.add_argument("--secret", default=(settings.SAUTIKIT_WEBHOOK_SECRET or [""])[0],
                            help="Webhook secret (default: the first of SAUTIKIT_WEBHOOK_SECRET).")
        parser.add_argument("--wait", type=float, default=30, help="Seconds to wait for the worker.")

    def handle(self, *args, story, **options):
        self.options = options
        if not options["secret"]:
            raise CommandError("SAUTIKIT_WEBHOOK_SECRET is not set: give the webhook secret with --secret.")
        call_id = f"CAsim{uuid.uuid4().hex[:12]}"
        if options["verbosity"] < 2:
            # Placing the call back logs as the service does; those lines would break up the story.
            logging.disable(logging.INFO)
        try:
            getattr(self, f"story_{story}")(call_id)
        finally:
            logging.disable(logging.NOTSET)

    # -- stories ---------------------------------------------------------------------------

    def story_missed(self, call_id):
        self.send("call.failed", call_id, status="no-answer")
        self.report(call_id)

    def story_answered(self, call_id):
        self.send("call.answered", call_id)
        self.send("call.completed", call_id, duration_seconds=95)
        self.send("recording.ready", call_id, recording_url=self.recording_url(call_id),
                  recording_duration_seconds=90)
        self.report(call_id)

    def story_routing(self, call_id):
        actions = self.send("call.routing", call_id).json().get("actions") or []
        kinds = [next(iter(action)) for action in actions if isinstance(action, dict) and action]
        if "getDigits" in kinds:
            raise CommandError("A voice menu answers this number: follow it with "
                               "`simulate_call menu --press <keys>`.")
        if "dial" in kinds:
            agent_number = next(a["dial"].get("to") for a in actions if "dial" in a)
            self.stdout.write(f"Sautikit dials {agent_number}; the agent answers and talks for 64 s.")
            self.send("call.answered", call_id)
            self.send("call.completed", call_id, duration_seconds=64)
            self.send("recording.ready", call_id, recording_url=self.recording_url(call_id),
                      recording_duration_seconds=60)
        elif "record" in kinds:
            self.stdout.write("Nobody can take the call: the caller leaves a 20 s voicemail.")
            self.send("call.completed", call_id, duration_seconds=25)
            self.send("recording.ready", call_id, recording_url=self.recording_url(call_id),
                      recording_duration_seconds=20)
        else:
            self.stdout.write("Sautikit plays the message and hangs up.")
            self.send("call.completed", call_id, duration_seconds=8)
        self.report(call_id)

    def story_callback(self, call_id):
        if not settings.SANDBOX_MODE:
            raise CommandError("The callback story places a call through Sautikit, so it runs in sandbox "
                               "mode only (SANDBOX_MODE=on, as ./scripts/run sets it without credentials).")
        agent = (AgentPhone.objects.filter(user__isnull=False, is_active=True).select_related("user")
                 .order_by("pk").first())
        if agent is None:
            raise CommandError("No agent has a SautiDesk login to call back with: link one in the admin "
                               "(Agent phones), or run: manage.py first_supervisor --agent 101")
        self.stdout.write(self.style.MIGRATE_HEADING("1. A customer calls and nobody answers."))
        self.send("call.failed", call_id, status="no-answer")
        ticket = self.report(call_id)

        self.stdout.write(self.style.MIGRATE_HEADING(f"2. {agent.name} calls back from the softphone."))
        try:
            placed = place_call(agent.user, ticket.requester_number, ticket_id=ticket.freshdesk_id)
        except CallNotPlaced as err:
            raise CommandError(f"The call was not placed: {err.message}") from err
        back = placed.call.call_id
        self.stdout.write(f"Placed {back} to {ticket.requester_number}; Sautikit's stand-in rings it, "
                          "answers and hangs up, and reports each step to SautiDesk.")
        self.wait_until(lambda: _ended(back))
        self.report(back)

        ticket.refresh_from_db()
        if ticket.callback_open:
            raise CommandError("The callback is still open. Are the sandbox (playing calls back, "
                               "--outbound answered) and the worker running?")
        when = timezone.localtime(ticket.callback_done_at).strftime("%H:%M %Z")
        self.stdout.write(self.style.MIGRATE_HEADING(
            f"3. Callback closed: {ticket.callback_done_by} called back at {when}; "
            f"ticket #{ticket.freshdesk_id} no longer has the callback_needed tag."))

    def story_menu(self, call_id):
        """A caller goes through the voice menu, then the call goes on as its last answer says."""
        to = self.options["to"]
        if not Menu.objects.filter(number__in=[to, ""], enabled=True).exists():
            raise CommandError(f"No voice menu answers {to}: a supervisor sets one up in the admin "
                               "(Voice menu) first.")
        # One menu step after the other, each signed a second after the last (as on a real call).
        started = int(time.time())
        answer = self.send("call.routing", call_id, signed_at=started, show_actions=False)
        self.describe(answer)
        for step, key in enumerate(self.options["press"], start=1):
            self.stdout.write(f"Caller presses {key}")
            answer = self.send("call.routing", call_id, signed_at=started + step, digits=key,
                               show_actions=False)
            self.describe(answer)
        actions = [next(iter(a)) for a in answer.json().get("actions", [])]
        if "getDigits" in actions:
            raise CommandError("The menu is still waiting for a key: press one on the menu (see above).")
        if "dial" in actions and not self.options["missed"]:
            self.send("call.answered", call_id)
            self.send("call.completed", call_id, duration_seconds=95)
        elif "dial" in actions:
            self.send("call.failed", call_id, status="no-answer")
        else:
            self.send("call.completed", call_id, duration_seconds=30)
        if Call.objects.filter(call_id=call_id, heard_message=True).exists():
            self.stdout.write(self.style.SUCCESS("The caller heard a recorded message: no ticket is needed."))
            return
        self.report(call_id)
        call = Call.objects.select_related("team", "ticket").get(call_id=call_id)
        team = f"{call.team.name} (Freshdesk group {call.team.freshdesk_group_id})" if call.team else "none"
        self.stdout.write(f"  team: {team}; menu choice: {call.menu_choice or '—'}; "
                          f"language: {call.language or '—'}")

    def describe(self, answer):
        """The voice actions as a person reads them: what the caller hears, then what happens."""
        for action in answer.json().get("actions", []):
            kind, body = next(iter(action.items()))
            say = body.get("say") if kind == "getDigits" else body if kind == "say" else None
            if say:
                self.stdout.write(f"  caller hears ({say['language']}): “{say['text']}”")
            if kind == "getDigits":
                self.stdout.write(f"  waits {body['timeout']} s for a key")
            elif kind == "dial":
                self.stdout.write(f"  rings {body['to']}")
            elif kind == "record":
                self.stdout.write("  takes a voicemail")
            elif kind == "hangup":
                self.stdout.write("  hangs up")

    # -- helpers ---------------------------------------------------------------------------

    def recording_url(self, call_id):
        return f"{settings.SAUTIKIT_API_URL or 'http://127.0.0.1:8102'}/recordings/{call_id}.wav"

    def send(self, event, call_id, signed_at=None, show_actions=True, **fields):
        signed_at = signed_at or int(time.time())
        body = {"event": event, "call_id": call_id, "direction": "inbound",
                "from": self.options["caller"], "to": self.options["to"], **fields,
                "signed_at": signed_at, "signature": sign(self.options["secret"], signed_at, call_id, event)}
        url = f"{self.options['url'].rstrip('/')}/webhooks/sautikit/"
        try:
            answer = requests.post(url, json=body, timeout=10)
        except requests.RequestException as err:
            raise CommandError(f"SautiDesk is not answering at {url}: {type(err).__name__}. "
                               "Is ./scripts/run running?") from err
        if answer.status_code >= 300:
            self.stdout.write(f"{event:16} → HTTP {answer.status_code} {answer.text.strip()}")
            raise CommandError(f"{event} was refused; check --secret and --url")
        if event == "call.routing" and show_actions:
            self.stdout.write(f"{event:16} → HTTP {answer.status_code}, voice actions:")
            for action in answer.json().get("actions") or []:
                for kind, detail in action.items():
                    self.stdout.write(f"  {kind:9} {json.dumps(detail, ensure_ascii=False)}")
        else:
            self.stdout.write(f"{event:16} → HTTP {answer.status_code} {answer.text.strip()}")
        return answer

    def wait_until(self, condition):
        deadline = time.monotonic() + self.options["wait"]
        while time.monotonic() < deadline and not condition():
            time.sleep(0.5)

    def report(self, call_id):
        """Wait for the call's events, then print them, its ticket and the ticket's notes."""
        self.wait_until(lambda: _finished(call_id))
        for event in WebhookEvent.objects.filter(call_id=call_id).order_by("pk"):
            error = f" ({event.last_error})" if event.last_error else ""
            self.stdout.write(f"  {event.event:16} {event.status}{error}")
        call = Call.objects.select_related("ticket").filter(call_id=call_id).first()
        if call is None or call.ticket is None:
            raise CommandError("No ticket yet. Is the worker running? (./scripts/run starts one)")
        ticket = call.ticket
        self.stdout.write(self.style.SUCCESS(f"Ticket #{ticket.freshdesk_id}: {ticket.subject}"))
        self.stdout.write(f"  {ticket.freshdesk_url}")
        for note in self.sandbox_notes(ticket.freshdesk_id):
            self.stdout.write(f"  note: {note}")
        return ticket

    def sandbox_notes(self, ticket_id):
        """Notes as the Freshdesk sandbox holds them; nothing for a real Freshdesk."""
        if not settings.FRESHDESK_BASE_URL:
            return []
        try:
            state = requests.get(f"{settings.FRESHDESK_BASE_URL}/_sandbox/state", timeout=3).json()
        except (requests.RequestException, ValueError):
            return []
        tickets = state.get("tickets") if isinstance(state, dict) else None
        tickets = tickets.values() if isinstance(tickets, dict) else tickets or []
        ticket = next((t for t in tickets if t.get("id") == ticket_id), {})
        return [" ".join(n.get("body_text", "").split()) for n in ticket.get("notes", [])]


def _finished(call_id):
    events = list(WebhookEvent.objects.filter(call_id=call_id).values_list("status", flat=True))
    return bool(events) and all(status in FINISHED for status in events)


def _ended(call_id):
    """The placed call's last events are in and processed: failed, or completed and recorded."""
    events = dict(WebhookEvent.objects.filter(call_id=call_id).values_list("event", "status"))
    last = {"call.failed"} if "call.failed" in events else {"call.completed", "recording.ready"}
    return last <= set(events) and all(status in FINISHED for status in events.values())

