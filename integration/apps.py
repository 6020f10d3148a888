from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Sautikit ↔ Freshdesk"

    def ready(self):
        from . import checks  # noqa: F401  (registers the configuration checks)
        from . import ops_tasks  # noqa: F401  (heartbeat and pruning tasks; beat's heartbeat hook)
