from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgentsConfig(AppConfig):
    name = "agents"

    def ready(self):
        from . import lockout  # noqa: F401  (logs each login lockout)

        post_migrate.connect(_ensure_supervisors_group, sender=self)


def _ensure_supervisors_group(**kwargs):
    """Every `migrate` (so every deploy) leaves the Supervisors group with its permissions."""
    from .permissions import ensure_supervisors_group

    ensure_supervisors_group()


class LoginLockoutConfig(AxesAppConfig):
    """django-axes under the name supervisors look for in the admin."""

    verbose_name = "Login lockouts"
