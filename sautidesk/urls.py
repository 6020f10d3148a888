from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path

from integration.admin_views import dashboard
from integration.webhooks import SautikitWebhookView


def healthz(request):
    """Liveness: the process answers. Readiness (database, broker, queue age) is /readyz."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("webhooks/sautikit/", SautikitWebhookView.as_view(), name="sautikit-webhook"),
    path("healthz", healthz, name="healthz"),
    path("admin/dashboard/", admin.site.admin_view(dashboard), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("", include("agents.urls")),  # /softphone/ and /api/calls/
]
