"""Locked-out logins in the admin: axes' access attempts, with an action that says what it does."""

import logging

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages

logger = logging.getLogger(__name__)

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    """Failed logins by username + address; deleting a row is what unlocks that pair."""

    # Who and from where first: the browser string is on the row's page.
    list_display = ["username", "ip_address", "path_info", "failures_since_start", "status", "attempt_time"]
    actions = ["unlock", *AccessAttemptAdmin.actions]

    @admin.action(description="Unlock selected logins", permissions=["delete"])
    def unlock(self, request, queryset):
        pairs = list(queryset.values_list("username", "ip_address"))
        queryset.delete()
        for username, ip_address in pairs:
            logger.info("login unlocked", extra={"username": username, "ip_address": ip_address,
                                                 "by": request.user.get_username()})
        self.message_user(request, f"Unlocked {len(pairs)} login(s): they can log in again now.",
                          messages.SUCCESS)
