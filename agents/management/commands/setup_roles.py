from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from agents.permissions import SUPERVISORS, ensure_supervisors_group


class Command(BaseCommand):
    help = "Create or update the Supervisors group; --supervisor USERNAME adds a staff user to it."

    def add_arguments(self, parser):
        parser.add_argument("--supervisor", action="append", default=[], metavar="USERNAME",
                            help="Make this existing user staff and a supervisor (repeatable).")

    def handle(self, *args, supervisor=(), **options):
        try:
            group = ensure_supervisors_group()
        except ImproperlyConfigured as err:
            raise CommandError(str(err)) from err
        self.stdout.write(f"Group {SUPERVISORS!r}: {group.permissions.count()} permissions.")
        users = get_user_model().objects
        for username in supervisor:
            try:
                user = users.get_by_natural_key(username)
            except users.model.DoesNotExist:
                raise CommandError(f"no user {username!r}") from None
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(group)
            self.stdout.write(f"{username} is now a supervisor.")
