"""`manage.py sandbox`: run the local Freshdesk and Sautikit stand-ins until interrupted.

The Freshdesk stand-in keeps its tickets, contacts and ids in `var/sandbox-freshdesk.json`, so
a restart never hands out a ticket id that SautiDesk's database already knows as another call's.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from integration.sandbox import CallScript, FreshdeskSandbox, SautikitSandbox
from integration.sandbox._sautikit_calls import FAILURE_STATUSES

# The first one is the agent scripts/run links the first supervisor's login to.
DEMO_AGENTS = [
    {"id": 101, "name": "Wanjiku Kamau", "mobile": "+254711000001"},
    {"id": 102, "name": "Otieno Odhiambo", "mobile": "+254711000002"},
    {"id": 103, "name": "Amina Hassan", "mobile": "+254711000003"},
]
# Two teams for the voice menu (docs/admin.md walks through setting it up).
DEMO_GROUPS = [
    {"id": 201, "name": "Sales", "agent_ids": [101]},
    {"id": 202, "name": "Support", "agent_ids": [102, 103]},
]


class Command(BaseCommand):
    help = "Run local stand-ins for the Freshdesk and Sautikit APIs (sandbox mode)."
    requires_system_checks = []  # it needs no credentials: it stands in for them

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--freshdesk-port", type=int, default=8101)
        parser.add_argument("--sautikit-port", type=int, default=8102)
        parser.add_argument("--freshdesk-key", default=settings.FRESHDESK_API_KEY or "sandbox-freshdesk-key",
                            help="API key the Freshdesk stand-in accepts (default: FRESHDESK_API_KEY).")
        parser.add_argument("--sautikit-key", default=settings.SAUTIKIT_API_KEY or "sandbox-sautikit-key",
                            help="API key the Sautikit stand-in accepts (default: SAUTIKIT_API_KEY).")
        parser.add_argument("--rate-limit", type=int, default=None,
                            help="Freshdesk requests a minute before 429s (default: no limit).")
        parser.add_argument("--outbound", choices=["answered", *FAILURE_STATUSES, "off"], default="answered",
                            help="How placed calls go: answered (default), not answered, or not played "
                                 "back to SautiDesk at all (off).")
        parser.add_argument("--ring-seconds", type=float, default=3.0, help="Ringing before the outcome.")
        parser.add_argument("--talk-seconds", type=float, default=10.0,
                            help="How long an answered call lasts (its reported duration).")
        parser.add_argument("--state-file", default=str(settings.VAR_DIR / "sandbox-freshdesk.json"),
                            help="Where the Freshdesk stand-in keeps its data across restarts.")

    def handle(self, *args, **options):
        freshdesk = FreshdeskSandbox(api_key=options["freshdesk_key"], host=options["host"],
                                     port=options["freshdesk_port"], rate_limit_per_minute=options["rate_limit"],
                                     time_zone=settings.TIME_ZONE, state_file=options["state_file"]).start()
        sautikit = SautikitSandbox(api_key=options["sautikit_key"], host=options["host"],
                                   port=options["sautikit_port"]).start()
        for agent in DEMO_AGENTS:
            freshdesk.add_agent(**agent, available=True)
        for group in DEMO_GROUPS:
            freshdesk.add_group(**group)
        self.stdout.write(f"Freshdesk sandbox: {freshdesk.base_url}  (tickets: {freshdesk.base_url}/_sandbox/)")
        self.stdout.write(f"  {len(freshdesk.tickets)} tickets kept in {options['state_file']}")
        self.stdout.write(f"Sautikit sandbox:  {sautikit.base_url}")
        self.stdout.write(self._play_outbound(sautikit, options))
        self.stdout.write(f"{len(DEMO_AGENTS)} demo agents available, in groups "
                          f"{', '.join(g['name'] for g in DEMO_GROUPS)}. Ctrl-C to stop.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            freshdesk.stop()
            sautikit.stop()
        self.stdout.write("Sandbox stopped.")

    @staticmethod
    def _play_outbound(sautikit, options):
        """Set up the playback of placed calls; the sentence saying what it will do."""
        secrets = settings.SAUTIKIT_WEBHOOK_SECRET
        if options["outbound"] == "off":
            return "Placed calls are not played back (--outbound off): they stay ringing."
        if not secrets:
            return "SAUTIKIT_WEBHOOK_SECRET is not set: placed calls are not played back, they stay ringing."
        script = CallScript(outcome=options["outbound"], ring_seconds=options["ring_seconds"],
                            talk_seconds=options["talk_seconds"])
        sautikit.play_calls(script, webhook_secret=secrets[0])
        if script.outcome == "answered":
            return (f"Placed calls ring {script.ring_seconds:g} s, are answered, last {script.talk_seconds:g} s "
                    "and are recorded; Sautikit's webhooks go to each call's voice_callback_url.")
        return f"Placed calls ring {script.ring_seconds:g} s and fail ({script.outcome})."
