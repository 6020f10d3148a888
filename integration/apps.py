from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Sautikit ↔ Freshdesk"

    def ready(self):
        from . import checks  # noqa: F401  (registers the configuration checks)
