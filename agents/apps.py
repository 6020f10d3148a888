import logging

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class AgentsConfig(AppConfig):
    name = "agents"

    def ready(self):
        from . import lockout  # noqa: F401  (logs each login lockout)

        post_migrate.connect(_ensure_supervisors_group, sender=self)


def _ensure_supervisors_group(**kwargs):
    """Every `migrate` (so every deploy) leaves the Supervisors group with its permissions.

    A migrate to an earlier state (rolling a release back) may leave some of the models
    unmigrated: the group is then left as it was rather than failing the migrate.
    """
    from .permissions import ensure_supervisors_group

    try:
        ensure_supervisors_group()
    except ImproperlyConfigured as err:
        logger.warning("supervisors group not refreshed", extra={"error": str(err)})


class LoginLockoutConfig(AxesAppConfig):
    """django-axes under the name supervisors look for in the admin."""

    verbose_name = "Login lockouts"
