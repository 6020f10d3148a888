"""URLs of the SautiDesk app inside Freshdesk, under /api/freshdesk-app/ (agents/app_api.py)."""

from django.urls import path

import agents.app_openapi  # noqa: F401  (registers the schema annotations)

from . import app_api

urlpatterns = [
    path("agents/<int:freshdesk_agent_id>/session/", app_api.SessionView.as_view(), name="freshdesk-app-session"),
    path("agents/<int:freshdesk_agent_id>/calls/", app_api.AppCallsView.as_view(), name="freshdesk-app-calls"),
    path("live/", app_api.LiveView.as_view(), name="freshdesk-app-live"),
]
