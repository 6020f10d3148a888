from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Sautikit ↔ Freshdesk"

    def ready(self):
        from .ops import checks  # noqa: F401  (registers the configuration checks)
        from .ops import tasks  # noqa: F401  (heartbeat and pruning tasks; beat's heartbeat hook)
        from .ops import worker_metrics  # noqa: F401  (a worker's own /metrics, at worker_init)
