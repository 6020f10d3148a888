from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

import integration.openapi  # noqa: F401  (registers the schema annotations)
from integration.admin_views import dashboard
from integration.health import healthz, readyz
from integration.metrics import metrics_view
from integration.webhooks import SautikitWebhookView
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
