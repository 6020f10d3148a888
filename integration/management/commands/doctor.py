"""`manage.py doctor`: is this SautiDesk ready to go live? Each failure says what to fix."""

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from agents.models import AgentPhone
from integration.clients import budget, freshdesk
from integration.phones import InvalidNumber, to_e164


class Command(BaseCommand):
    help = "Check the configuration a go-live needs and print the webhook URL for Sautikit."
    requires_system_checks = []  # report missing settings one by one instead of refusing to start

    def handle(self, *args, **options):
        self.failures = 0
        self.check_webhook()
        self.check_freshdesk()
        self.check_sautikit()
        self.check_database()
        if self.failures:
            raise CommandError(f"{self.failures} problem(s) to fix before going live.")
        self.stdout.write(self.style.SUCCESS("All checks passed."))

    def ok(self, message):
        self.stdout.write(f"  OK    {message}")

    def fail(self, message):
        self.failures += 1
        self.stdout.write(self.style.ERROR(f"  FAIL  {message}"))

    def check_webhook(self):
        self.stdout.write("Sautikit webhooks")
        if settings.SAUTIKIT_WEBHOOK_SECRET:
            count = len(settings.SAUTIKIT_WEBHOOK_SECRET)
            self.ok(f"SAUTIKIT_WEBHOOK_SECRET set ({count} secret{'s' if count > 1 else ''})")
        else:
            self.fail("SAUTIKIT_WEBHOOK_SECRET is not set: copy the signing secret from the Sautikit workspace")
        base = settings.PUBLIC_BASE_URL
        if not base:
            self.fail("PUBLIC_BASE_URL is not set: set it to the https:// address Sautikit reaches this service at")
            return
        if not base.startswith("https://"):
            self.fail(f"PUBLIC_BASE_URL is {base}: Sautikit must reach SautiDesk over https://")
        else:
            self.ok(f"PUBLIC_BASE_URL is {base}")
        self.stdout.write(f"  Paste this webhook URL into the Sautikit workspace: {base}/webhooks/sautikit/")

    def check_freshdesk(self):
        self.stdout.write("Freshdesk")
        try:
            client = freshdesk.FreshdeskClient.from_settings(priority=True)
            me = client.me()
        except ImproperlyConfigured as err:
            self.fail(f"{err}: set it in the environment or .env")
        except freshdesk.AuthenticationFailed:
            self.fail("FRESHDESK_API_KEY was refused by Freshdesk: copy the key from Profile settings "
                      "→ View API key of an admin agent")
        except freshdesk.FreshdeskError as err:
            self.fail(f"Freshdesk at {client.base_url} did not answer as expected ({err}): check FRESHDESK_DOMAIN")
        else:
            name = (me.get("contact") or {}).get("name") or me.get("id")
            self.ok(f"FRESHDESK_API_KEY works (agent: {name})")
            self.ok(budget_summary(budget.status(client.account)))

    def check_sautikit(self):
        self.stdout.write("Sautikit API")
        for name in ("SAUTIKIT_API_URL", "SAUTIKIT_API_KEY"):
            if not getattr(settings, name):
                self.fail(f"{name} is not set: softphone calls cannot be placed")
        try:
            to_e164(settings.SAUTIKIT_FROM_NUMBER)
            self.ok(f"SAUTIKIT_FROM_NUMBER is {settings.SAUTIKIT_FROM_NUMBER}")
        except InvalidNumber:
            self.fail(f"SAUTIKIT_FROM_NUMBER '{settings.SAUTIKIT_FROM_NUMBER}' is not an E.164 number "
                      "such as +254203893800")
        if settings.SAUTIKIT_API_URL and settings.SAUTIKIT_API_KEY:
            self.check_sautikit_key()

    def check_sautikit_key(self):
        """A call with no destination cannot be placed: 400 means the key passed, 401/403 it did not."""
        try:
            answer = requests.post(f"{settings.SAUTIKIT_API_URL}/v1/calls", json={"from": "", "to": []},
                                   headers={"Authorization": f"Bearer {settings.SAUTIKIT_API_KEY}"},
                                   timeout=settings.SAUTIKIT_TIMEOUT)
        except requests.RequestException as err:
            self.fail(f"Sautikit at SAUTIKIT_API_URL did not answer ({type(err).__name__})")
            return
        if answer.status_code in (401, 403):
            self.fail("SAUTIKIT_API_KEY was refused by Sautikit: copy the API key from the Sautikit workspace")
        elif answer.status_code >= 500:
            self.fail(f"Sautikit answered HTTP {answer.status_code}: try again later")
        else:
            self.ok("SAUTIKIT_API_KEY accepted by Sautikit")

    def check_database(self):
        self.stdout.write("Database and agents")
        try:
            connection.ensure_connection()
            reachable = AgentPhone.objects.dialable()
            self.ok(f"database answers; {reachable.count()} active agent(s) with a phone routing can dial")
        except Exception as err:  # any database error is a finding to report, not a crash
            self.fail(f"database not reachable or not migrated ({type(err).__name__}): check DATABASE_URL, "
                      "then run manage.py migrate")


def budget_summary(status):
    """One line on the Freshdesk request budget (integration/clients/budget.py) for the operator."""
    where = "shared by all workers through Redis" if status["shared"] else \
        "counted in each process (FRESHDESK_RATE_LIMIT_STORAGE is not Redis)"
    return (f"Freshdesk allows {_count(status['limit'])} requests/min ({status['source']}); SautiDesk "
            f"sends at most {_count(status['allowed_per_minute'])}/min, leaving {status['reserve']:.0%} to the "
            f"account's other apps; {where}")


def _count(number):
    return f"{number:,.1f}".removesuffix(".0")
