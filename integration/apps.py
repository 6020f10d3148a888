from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Sautikit ↔ Freshdesk"

    def ready(self):
        from .ops import checks  # noqa: F401  (registers the configuration checks)
        from .ops import tasks  # noqa: F401  (heartbeat and pruning tasks; beat's heartbeat hook)
