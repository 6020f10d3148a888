"""Where outbound calls may go and what they may cost: allowed numbers and the daily caps."""

from django import forms
from django.contrib import admin

from integration.admin.common import OneRowAdmin
from integration.phones import InvalidNumber, to_e164

from .destinations import policy_refusal
from .models import AllowedNumber, CallingLimits
from .spend import today


class AllowedNumberForm(forms.ModelForm):
    class Meta:
        model = AllowedNumber
        fields = ["number", "reason"]

    def clean_number(self):
        """Stored in E.164, as the softphone sends it, so the exact number matches."""
        number = self.cleaned_data["number"].strip()
        try:
            return to_e164(number)
        except InvalidNumber:
            raise forms.ValidationError(
                "“%(number)s” is not a phone number that can be dialled. Use the international "
                "form, e.g. +870772111111.", params={"number": number}, code="invalid_number",
            ) from None


@admin.register(AllowedNumber)
class AllowedNumberAdmin(admin.ModelAdmin):
    """Exact numbers the softphone may call although the destination policy refuses them."""

    form = AllowedNumberForm
    list_display = ["number", "reason", "policy", "added_by", "created_at"]
    search_fields = ["number", "reason"]

    @admin.display(description="without this entry")
    def policy(self, entry):
        refusal = policy_refusal(entry.number)
        return "allowed anyway (the entry is not needed)" if refusal is None else (
            f"refused: {refusal.reason.replace('_', ' ')}")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user.get_username()
        super().save_model(request, obj, form, change)


@admin.register(CallingLimits)
class CallingLimitsAdmin(OneRowAdmin, admin.ModelAdmin):
    """One row: the daily caps on outbound spend, which win over the OUTBOUND_DAILY_CAP_* settings."""

    fields = ["agent_daily_cap_kes", "company_daily_cap_kes", "in_force"]
    readonly_fields = ["in_force"]

    @admin.display(description="today")
    def in_force(self, obj):
        spend = today()
        cap = spend.caps.company
        company = f"of KES {cap:,.2f}" if cap is not None else "(no company cap)"
        agent = f"KES {spend.caps.agent:,.2f}" if spend.caps.agent is not None else "no cap"
        return (f"The company has spent {spend.company.text()} {company} today; each agent's cap "
                f"is {agent}. The dashboard shows each agent's spend.")

