from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

import integration.ops.openapi  # noqa: F401  (registers the schema annotations)
from integration.admin.dashboard import dashboard
from integration.ops.health import healthz, readyz
from integration.ops.metrics import metrics_view
from integration.intake.views import SautikitWebhookView
from sautidesk.views import home

urlpatterns = [
    path("", home, name="home"),
    path("webhooks/sautikit/", SautikitWebhookView.as_view(), name="sautikit-webhook"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/dashboard/", admin.site.admin_view(dashboard), name="admin-dashboard"),
    path("admin/", admin.site.urls),
    path("", include("agents.urls")),  # /softphone/ and /api/calls/
]
