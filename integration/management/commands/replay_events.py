from django.core.management.base import BaseCommand, CommandError

from integration.models import WebhookEvent
from integration.processing.replay import REPLAYABLE, replay
from integration.processing.handlers import HANDLERS


class Command(BaseCommand):
    help = "Re-run processing of stored webhook events (e.g. --status failed); safe for done events."

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=[str(s) for s in REPLAYABLE],
                            help="Replay every event with this status.")
        parser.add_argument("--event", help="Only events of this type, e.g. call.failed.")
        parser.add_argument("--id", dest="ids", type=int, nargs="+", metavar="N",
                            help="Only these event ids.")
        parser.add_argument("--dry-run", action="store_true", help="List the events, change nothing.")

    def handle(self, *args, status=None, event=None, ids=None, dry_run=False, **options):
        if not (status or ids):
            raise CommandError("say which events: --status failed, and/or --id N ...")
        events = WebhookEvent.objects.order_by("pk")
        if status:
            # Only what can run again: call.routing is `done` once answered, by design, and
            # a pruned payload (retention) has nothing left to run.
            events = events.filter(status=status, event__in=list(HANDLERS)).exclude(raw_body="")
        if event:
            events = events.filter(event=event)
        if ids:
            events = events.filter(pk__in=ids)
            missing = sorted(set(ids) - set(events.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"no matching event with id {', '.join(map(str, missing))}")
        selected = list(events.values_list("pk", flat=True))
        if not selected:
            self.stdout.write("No events to replay.")
            return
        if dry_run:
            self.stdout.write(f"Would replay {len(selected)} event(s): {_ids(selected)}")
            return
        result = replay(selected, by="manage.py replay_events")
        self.stdout.write(f"Replayed {len(result.replayed)} event(s): {_ids(result.replayed)}")
        for event_id, why in result.skipped.items():
            self.stderr.write(f"Skipped event {event_id}: {why}")
        if result.skipped:
            raise CommandError(f"{len(result.skipped)} event(s) not replayed")


def _ids(ids):
    return ", ".join(map(str, ids)) or "none"
