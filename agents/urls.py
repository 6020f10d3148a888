from django.urls import include, path

from . import api, views

urlpatterns = [
    path("softphone/", views.softphone, name="softphone"),
    path("softphone/login/", views.SoftphoneLoginView.as_view(), name="softphone-login"),
    path("softphone/logout/", views.SoftphoneLogoutView.as_view(), name="softphone-logout"),
    path("softphone/poll/", api.PollView.as_view(), name="softphone-poll"),
    path("api/calls/", api.CallsView.as_view(), name="api-calls"),
    path("api/freshdesk-app/", include("agents.app_urls")),
]
