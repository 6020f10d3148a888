from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from agents.sync import sync_agents
from agents.teams import sync_teams
from integration.clients.freshdesk import FreshdeskError


class Command(BaseCommand):
    help = "Copy Freshdesk's groups (as teams) and agents (names, phones, availability, teams)."

    def handle(self, *args, **options):
        try:
            teams = sync_teams()
            result = sync_agents()
        except FreshdeskError as err:
            raise CommandError(f"Freshdesk agents or groups could not be read: {err}") from err
        except ImproperlyConfigured as err:
            raise CommandError(str(err)) from err
        self.stdout.write(self.style.SUCCESS(f"Teams synced: {teams}. Agents synced: {result}."))
        if result.without_phone:
            self.stdout.write(self.style.WARNING(
                "Agents without a phone cannot be routed calls: set their phone in the admin "
                "or their mobile in Freshdesk."
            ))
