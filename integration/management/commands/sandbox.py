"""`manage.py sandbox`: run the local Freshdesk and Sautikit stand-ins until interrupted.

The Freshdesk stand-in keeps its tickets, contacts and ids in `var/sandbox-freshdesk.json`, so
a restart never hands out a ticket id that SautiDesk's database already knows as another call's.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from integration.sandbox.freshdesk import FreshdeskSandbox
from integration.sandbox.sautikit import SautikitSandbox

DEMO_AGENTS = [
    {"id": 101, "name": "Wanjiku Kamau", "mobile": "+254711000001"},
    {"id": 102, "name": "Otieno Odhiambo", "mobile": "+254711000002"},
    {"id": 103, "name": "Amina Hassan", "mobile": "+254711000003"},
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
        parser.add_argument("--state-file", default=str(settings.VAR_DIR / "sandbox-freshdesk.json"),
                            help="Where the Freshdesk stand-in keeps its data across restarts.")

    def handle(self, *args, **options):
        freshdesk = FreshdeskSandbox(api_key=options["freshdesk_key"], host=options["host"],
                                     port=options["freshdesk_port"],
                                     rate_limit_per_minute=options["rate_limit"],
                                     state_file=options["state_file"]).start()
        sautikit = SautikitSandbox(api_key=options["sautikit_key"], host=options["host"],
                                   port=options["sautikit_port"]).start()
        for agent in DEMO_AGENTS:
            freshdesk.add_agent(**agent, available=True)
        self.stdout.write(f"Freshdesk sandbox: {freshdesk.base_url}  (tickets: {freshdesk.base_url}/_sandbox/)")
        self.stdout.write(f"  {len(freshdesk.tickets)} tickets kept in {options['state_file']}")
        self.stdout.write(f"Sautikit sandbox:  {sautikit.base_url}")
        self.stdout.write(f"{len(DEMO_AGENTS)} demo agents available. Ctrl-C to stop.")
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
