"""`manage.py sandbox`: run the local Freshdesk and Sautikit stand-ins until interrupted."""

import signal
import threading

from django.core.management.base import BaseCommand

from integration.sandbox.freshdesk import FreshdeskSandbox
from integration.sandbox.sautikit import SautikitSandbox

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
        parser.add_argument("--freshdesk-key", default="sandbox-freshdesk-key")
        parser.add_argument("--sautikit-key", default="sandbox-sautikit-key")
        parser.add_argument("--rate-limit", type=int, default=None,
                            help="Freshdesk requests a minute before 429s (default: no limit).")

    def handle(self, *args, **options):
        freshdesk = FreshdeskSandbox(api_key=options["freshdesk_key"], host=options["host"],
                                     port=options["freshdesk_port"],
                                     rate_limit_per_minute=options["rate_limit"]).start()
        sautikit = SautikitSandbox(api_key=options["sautikit_key"], host=options["host"],
                                   port=options["sautikit_port"]).start()
        for agent in DEMO_AGENTS:
            freshdesk.add_agent(**agent, available=True)
        for group in DEMO_GROUPS:
            freshdesk.add_group(**group)
        self.stdout.write(f"Freshdesk sandbox: {freshdesk.base_url}  (tickets: {freshdesk.base_url}/_sandbox/)")
        self.stdout.write(f"Sautikit sandbox:  {sautikit.base_url}")
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
