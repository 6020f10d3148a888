"""`manage.py first_supervisor`: a first login for a new installation, with no prompt.

    manage.py first_supervisor                  # "admin" with a random password, printed once
    manage.py first_supervisor --agent 101      # ... also linked to Freshdesk agent 101

It does nothing when a superuser exists already, so `scripts/run` calls it on every start
in sandbox mode. For a production installation `manage.py createsuperuser` (which asks for
the password) is the usual way; this command suits an unattended first start.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agents.models import AgentPhone
from agents.permissions import ensure_supervisors_group


class Command(BaseCommand):
    help = "Create a first supervisor (superuser) with a random password, printed once, unless one exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--agent", type=int, metavar="FRESHDESK_AGENT_ID",
                            help="Also link the login to this Freshdesk agent, so it can use the softphone.")

    def handle(self, *args, username, agent, **options):
        users = get_user_model().objects
        existing = users.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            name = existing.get_username()
            self.stdout.write(f"Supervisor login: {name} (made earlier; to set a new password: "
                              f".venv/bin/python manage.py changepassword {name})")
            return
        if users.filter(**{users.model.USERNAME_FIELD: username}).exists():
            raise CommandError(f"a user {username!r} exists but is not a superuser; choose another --username")
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = users.create_superuser(username, email="", password=password)
            user.groups.add(ensure_supervisors_group())
            linked = self._link(user, agent) if agent is not None else ""
        self.stdout.write(self.style.SUCCESS(f"Supervisor login created: {username} / {password}"))
        self.stdout.write(f"  Shown only now; change it in the admin (top right: Change password).{linked}")

    def _link(self, user, agent_id):
        """Link `user` to the agent, creating its row until the next agent sync fills it in."""
        phone, _ = AgentPhone.objects.get_or_create(
            freshdesk_agent_id=agent_id, defaults={"name": f"Freshdesk agent {agent_id}"})
        if phone.user_id is not None:
            return f"\n  Agent {agent_id} already has a login; this one is not linked to an agent."
        phone.user = user
        phone.save(update_fields=["user"])
        return f"\n  It is Freshdesk agent {agent_id}'s login too, so it can use the softphone."
