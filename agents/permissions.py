"""Who may do what: supervisors run the desk in the admin, agents only use the softphone.

    group = ensure_supervisors_group()   # idempotent; `manage.py setup_roles` calls it

A supervisor is an `is_staff` user in the "Supervisors" group. An agent is a
non-staff user linked to an AgentPhone: the admin refuses them (it requires
is_staff) while the softphone only asks for a login.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured

SUPERVISORS = "Supervisors"

# (app_label, model, actions). Change on events/tickets is what the replay and
# "mark callbacks done" actions require; nothing here deletes a record of a call.
SUPERVISOR_PERMISSIONS = [
    ("integration", "webhookevent", ("view", "change")),
    ("integration", "call", ("view",)),
    ("integration", "ticket", ("view", "change")),
    ("integration", "routingsettings", ("view", "change", "add")),
    ("integration", "menu", ("view", "change", "add", "delete")),
    ("integration", "menuoption", ("view", "change", "add", "delete")),
    ("agents", "agentphone", ("view", "change", "add", "delete")),
    ("agents", "allowednumber", ("view", "change", "add", "delete")),
    ("agents", "callinglimits", ("view", "change", "add")),
    # Deleting an access attempt is how a locked-out login is unlocked.
    ("axes", "accessattempt", ("view", "delete")),
    ("agents", "team", ("view", "change")),
]


def supervisor_permissions():
    """The Permission rows; ImproperlyConfigured if migrations have not created them yet."""
    wanted, found = [], []
    for app_label, model, actions in SUPERVISOR_PERMISSIONS:
        wanted.extend(f"{action}_{model}" for action in actions)
        found.extend(Permission.objects.filter(content_type__app_label=app_label, content_type__model=model,
                                               codename__in=[f"{action}_{model}" for action in actions]))
    missing = set(wanted) - {p.codename for p in found}
    if missing:
        raise ImproperlyConfigured(f"permissions missing (run migrate first): {', '.join(sorted(missing))}")
    return found


def ensure_supervisors_group():
    """Create the group, or bring its permissions back to exactly the list above."""
    group, _ = Group.objects.get_or_create(name=SUPERVISORS)
    group.permissions.set(supervisor_permissions())
    return group
