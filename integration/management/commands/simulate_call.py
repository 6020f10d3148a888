"""`manage.py simulate_call STORY`: send Sautikit's webhooks for a call to a running SautiDesk.

Stories: `missed` (call.failed), `answered` (call.answered, call.completed,
recording.ready), `routing` (call.routing, prints the voice actions). It signs
each webhook as Sautikit would, then waits for the worker and prints the ticket.
"""

import time
import uuid

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integration.models import Call, WebhookEvent
from integration.intake.signature import sign

SANDBOX_SECRET = "whsec_sandbox"
SANDBOX_FRESHDESK = "http://127.0.0.1:8101"
SANDBOX_SAUTIKIT = "http://127.0.0.1:8102"
FINISHED = (WebhookEvent.Status.DONE, WebhookEvent.Status.FAILED, WebhookEvent.Status.IGNORED)


class Command(BaseCommand):
    help = "Send correctly signed Sautikit webhooks for a missed, answered or routed call."
    requires_system_checks = []  # runs beside a sandbox-mode server that has no credentials in .env

    def add_arguments(self, parser):
        parser.add_argument("story", choices=["missed", "answered", "routing"])
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
        if story == "missed":
            self.send("call.failed", call_id, status="no-answer")
        else:
            self.send("call.answered", call_id)
            self.send("call.completed", call_id, duration_seconds=95)
            recording = f"{settings.SAUTIKIT_API_URL or SANDBOX_SAUTIKIT}/recordings/{call_id}.mp3"
            self.send("recording.ready", call_id, recording_url=recording, recording_duration_seconds=90)
        self.report(call_id)

    def send(self, event, call_id, **fields):
        signed_at = int(time.time())
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
