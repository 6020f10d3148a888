from django.contrib import admin
from django.http import JsonResponse
from django.urls import path

from integration.webhooks import SautikitWebhookView


def healthz(request):
    """Liveness: the process answers. Readiness (database, broker, queue age) is /readyz."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("webhooks/sautikit/", SautikitWebhookView.as_view(), name="sautikit-webhook"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
