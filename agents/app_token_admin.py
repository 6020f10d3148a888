"""App tokens in the admin: create one (shown once, with what to enter in Freshdesk), list, revoke.

Only superusers get these rights by default: a token lets whoever holds it place calls for
any linked agent (docs/freshdesk-app.md).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from .app_tokens import issue_app_token, revoke
from .freshdesk_app_package import installation_parameters, sautidesk_host
from .models import AppToken


@admin.register(AppToken)
class AppTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "shown_prefix", "created_at", "created_by", "last_used", "state"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["shown_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    @admin.display(description="token", ordering="prefix")
    def shown_prefix(self, token):
        return f"{token.prefix}…"

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, token):
        return timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"

    @admin.display(description="state", ordering="revoked_at")
    def state(self, token):
        if token.revoked_at:
            return f"revoked {timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}"
        return "active"

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else ["name", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay listed: when and by whom they were made is the record

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            actions.pop("revoke_tokens", None)
        return actions

    @admin.action(description="Revoke selected tokens (the app stops working with them at once)")
    def revoke_tokens(self, request, queryset):
        count = revoke(queryset)
        self.message_user(request, f"Revoked {count} token(s). Freshdesk installations that used them "
                          "are refused from now on.", messages.SUCCESS if count else messages.WARNING)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        _, raw = issue_app_token(obj.name, created_by=request.user, instance=obj)
        request._new_app_token = raw  # shown once by response_add, never stored

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, "_new_app_token", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        host = sautidesk_host(settings.PUBLIC_BASE_URL) or request.get_host().split(":")[0]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Copy the app token now",
            "token": obj,
            "raw_token": raw,
            "parameters": installation_parameters(host, raw),
        }
        response = TemplateResponse(request, "admin/agents/apptoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response
