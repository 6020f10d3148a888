"""`manage.py simulate_call STORY`: send Sautikit's webhooks for a call to a running SautiDesk.

Stories: `missed` (call.failed), `answered` (call.answered, call.completed,
recording.ready), `routing` (call.routing, prints the voice actions), `menu` (the
voice menu: call.routing, then one more with each key of `--press`, e.g. `--press 2`
or `--press 92` for Kiswahili then 2; then the call is answered, or missed with
`--missed`). It signs each webhook as Sautikit would, then waits for the worker and
prints the ticket.
"""

import time
import uuid

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integration.models import Call, Menu, WebhookEvent
from integration.intake.signature import sign

SANDBOX_SECRET = "whsec_sandbox"
SANDBOX_FRESHDESK = "http://127.0.0.1:8101"
SANDBOX_SAUTIKIT = "http://127.0.0.1:8102"
FINISHED = (WebhookEvent.Status.DONE, WebhookEvent.Status.FAILED, WebhookEvent.Status.IGNORED)


class Command(BaseCommand):
    help = "Send correctly signed Sautikit webhooks for a missed, answered or routed call."
    requires_system_checks = []  # runs beside a sandbox-mode server that has no credentials in .env

    def add_arguments(self, parser):
        parser.add_argument("story", choices=["missed", "answered", "routing", "menu"])
        parser.add_argument("--press", default="1",
                            help="menu story: the keys the caller presses, one menu step each (default 1).")
        parser.add_argument("--missed", action="store_true",
                            help="menu story: the agent rung does not answer.")
        parser.add_argument("--from", dest="caller", default="0712345678", help="Caller's number.")
        parser.add_argument("--to", default="+254203893800", help="The Sautikit number called.")
        parser.add_argument("--url", default=settings.PUBLIC_BASE_URL or "http://127.0.0.1:8000",
                            help="Where SautiDesk runs.")
        parser.add_argument("--secret", default=(settings.SAUTIKIT_WEBHOOK_SECRET or [SANDBOX_SECRET])[0],
                            help="Webhook secret (default: SAUTIKIT_WEBHOOK_SECRET, else the sandbox's).")
        parser.add_argument("--wait", type=float, default=30, help="Seconds to wait for the worker.")

    def handle(self, *args, story, **options):
        self.options = options
        call_id = f"CAsim{uuid.uuid4().hex[:12]}"
        if story == "routing":
            answer = self.send("call.routing", call_id)
            self.stdout.write(f"Voice actions for {call_id}:\n{answer.text}")
            return
        if story == "menu":
            self.menu_story(call_id)
            return
        if story == "missed":
            self.send("call.failed", call_id, status="no-answer")
        else:
            self.send("call.answered", call_id)
            self.send("call.completed", call_id, duration_seconds=95)
            recording = f"{settings.SAUTIKIT_API_URL or SANDBOX_SAUTIKIT}/recordings/{call_id}.mp3"
            self.send("recording.ready", call_id, recording_url=recording, recording_duration_seconds=90)
        self.report(call_id)

    def menu_story(self, call_id):
        """A caller goes through the voice menu, then the call goes on as its last answer says."""
        to = self.options["to"]
        if not Menu.objects.filter(number__in=[to, ""], enabled=True).exists():
            raise CommandError(f"No voice menu answers {to}: a supervisor sets one up in the admin "
                               "(Voice menu) first.")
        # One menu step after the other, each signed a second after the last (as on a real call).
        started = int(time.time())
        answer = self.send("call.routing", call_id, signed_at=started)
        self.describe(answer)
        for step, key in enumerate(self.options["press"], start=1):
            self.stdout.write(f"Caller presses {key}")
            answer = self.send("call.routing", call_id, signed_at=started + step, digits=key)
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

    def send(self, event, call_id, signed_at=None, **fields):
        signed_at = signed_at or int(time.time())
        body = {"event": event, "call_id": call_id, "direction": "inbound",
                "from": self.options["caller"], "to": self.options["to"], **fields,
                "signed_at": signed_at, "signature": sign(self.options["secret"], signed_at, call_id, event)}
        url = f"{self.options['url'].rstrip('/')}/webhooks/sautikit/"
        try:
            answer = requests.post(url, json=body, timeout=10)
        except requests.RequestException as err:
            raise CommandError(f"SautiDesk is not answering at {url}: {type(err).__name__}. "
                               "Is the run command running?") from err
        self.stdout.write(f"{event:16} → HTTP {answer.status_code} {answer.text[:120]}")
        if answer.status_code >= 300:
            raise CommandError(f"{event} was refused; check --secret and --url")
        return answer

    def report(self, call_id):
        deadline = time.monotonic() + self.options["wait"]
        while time.monotonic() < deadline:
            events = list(WebhookEvent.objects.filter(call_id=call_id))
            if events and all(e.status in FINISHED for e in events):
                break
            time.sleep(0.5)
        for event in WebhookEvent.objects.filter(call_id=call_id).order_by("pk"):
            error = f" ({event.last_error})" if event.last_error else ""
            self.stdout.write(f"  {event.event:16} {event.status}{error}")
        call = Call.objects.select_related("ticket").filter(call_id=call_id).first()
        if call is None or call.ticket is None:
            raise CommandError("No ticket yet. Is the worker running? (the run command starts one)")
        ticket = call.ticket
        link = ticket.freshdesk_url or f"{settings.FRESHDESK_BASE_URL or SANDBOX_FRESHDESK}/_sandbox/"
        self.stdout.write(self.style.SUCCESS(f"Ticket #{ticket.freshdesk_id}: {ticket.subject}"))
        self.stdout.write(f"  {link}")
        for note in self.sandbox_notes(ticket.freshdesk_id):
            self.stdout.write(f"  note: {note}")

    def sandbox_notes(self, ticket_id):
        """Notes as the Freshdesk sandbox holds them; nothing for a real Freshdesk."""
        base = settings.FRESHDESK_BASE_URL or SANDBOX_FRESHDESK
        try:
            state = requests.get(f"{base}/_sandbox/state", timeout=3).json()
        except (requests.RequestException, ValueError):
            return []
        tickets = state.get("tickets") if isinstance(state, dict) else None
        tickets = tickets.values() if isinstance(tickets, dict) else tickets or []
        ticket = next((t for t in tickets if t.get("id") == ticket_id), {})
        return [n.get("body_text", "").strip() for n in ticket.get("notes", [])]
