"""When background processes last showed they are alive (read by /readyz)."""

from django.db import models


class Heartbeat(models.Model):
    """When a background process last showed it is alive; read by the readiness probe (/readyz).

    `beat` is written by the process that publishes the heartbeat task (celery beat),
    `worker` by the worker that runs it: if only `worker` goes stale, the workers are
    down or behind; if both do, beat is.
    """

    name = models.CharField(max_length=20, primary_key=True, help_text="beat or worker.")
    at = models.DateTimeField(help_text="Last time this process showed a heartbeat.")

    class Meta:
        # Operations' own right, apart from running the desk: grant it to the people (or give
        # Prometheus METRICS_TOKEN) who watch the service; being staff is not enough.
        permissions = [("view_metrics", "Can read the Prometheus metrics at /metrics")]

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
