from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integration.ops.retention import prune_payloads


class Command(BaseCommand):
    help = "Empty the stored payloads of finished webhook events older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None,
                            help="Retention in days (default: WEBHOOK_PAYLOAD_RETENTION_DAYS).")
        parser.add_argument("--dry-run", action="store_true", help="Only count, change nothing.")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.WEBHOOK_PAYLOAD_RETENTION_DAYS if days is None else days
        try:
            count = prune_payloads(days=days, dry_run=dry_run)
        except ValueError as err:
            raise CommandError(str(err)) from err
        verb = "would be pruned" if dry_run else "pruned"
        self.stdout.write(f"{count} event payloads older than {days} days {verb}.")
