import ipaddress
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agents.app_tokens import issue_app_token
from agents.freshdesk_app_package import (APP_DIR, check_app, installation_parameters, pack_app,
                                          sautidesk_host)

DEFAULT_OUTPUT = settings.BASE_DIR / "var" / "dist" / "freshdesk_app.zip"


class Command(BaseCommand):
    help = "Build the Freshdesk app's installable .zip and print the installation parameters to enter."
    # Packing needs none of the Sautikit or Freshdesk settings the system checks insist on.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(DEFAULT_OUTPUT),
                            help=f"Where to write the .zip (default: {DEFAULT_OUTPUT}).")
        parser.add_argument("--app-dir", default=str(APP_DIR), help="The app's source (default: freshdesk_app/).")
        parser.add_argument("--new-token", metavar="NAME",
                            help="Also create an app token with this name and print it (shown once).")

    def handle(self, *args, **options):
        app_dir = Path(options["app_dir"])
        problems = check_app(app_dir)
        if problems:
            raise CommandError(f"The app in {app_dir} is not consistent, nothing was packed:\n  "
                               + "\n  ".join(problems))
        packed = pack_app(options["output"], app_dir)
        self.stdout.write(self.style.SUCCESS(
            f"Packed {len(packed.files)} files of {app_dir.name}/ into {packed.path} ({packed.size:,} bytes)."))
        self.stdout.write("Upload it in Freshdesk: Admin → Apps → Custom apps (docs/freshdesk-app.md).")

        host = sautidesk_host(settings.PUBLIC_BASE_URL)
        self._warn_about(host)
        token = None
        if options["new_token"]:
            app_token, token = issue_app_token(options["new_token"])
            self.stdout.write(f"Created app token “{app_token.name}” ({app_token.prefix}…). It is not "
                              "stored and is printed only now: copy it into Freshdesk.")
        self.stdout.write("\nInstallation parameters to enter:")
        for label, key, value in installation_parameters(host, token, app_dir):
            self.stdout.write(f"  {label} ({key}): {value}")

    def _warn_about(self, host):
        """Freshworks' request templates reach only a fully qualified name over HTTPS."""
        if not settings.PUBLIC_BASE_URL.startswith("https://") or not host:
            self.stdout.write(self.style.WARNING(
                "PUBLIC_BASE_URL is not an https:// address: Freshdesk reaches SautiDesk only over "
                "HTTPS, at the host name you enter below."))
            return
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if "." not in host:
                self.stdout.write(self.style.WARNING(
                    f"{host} is not a fully qualified domain name; Freshworks requires one."))
        else:
            self.stdout.write(self.style.WARNING(
                f"{host} is an IP address; Freshworks' request templates need a domain name."))
