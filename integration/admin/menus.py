"""The voice menu: its greeting, its keys and where each leads, with what callers will hear."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string

from ..models import Menu, MenuOption, RoutingSettings
from ..routing.preview import menu_preview
from .forms import clean_number


class MenuForm(forms.ModelForm):
    class Meta:
        model = Menu
        fields = "__all__"

    def clean_number(self):
        return clean_number(self.cleaned_data["number"])


class OptionFormSet(BaseInlineFormSet):
    """At least one key when the menu is on, and none on the language key."""

    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        keys = {f.cleaned_data.get("key") for f in kept}
        language_key = self.instance.language_key
        if language_key and language_key in keys:
            raise forms.ValidationError(f"Key {language_key} is the language key: give this choice another "
                                        "key, or change the language key.")
        if self.instance.enabled and not kept:
            raise forms.ValidationError("Add at least one key, or switch the menu off.")


class MenuOptionInline(admin.TabularInline):
    model = MenuOption
    formset = OptionFormSet
    fields = ["key", "label_en", "label_sw", "action", "team", "message_en", "message_sw"]

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None else 2  # a new menu starts with room for two keys

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["widgets"] = {name: forms.TextInput(attrs={"size": 24}) for name in ("label_en", "label_sw")}
        kwargs["widgets"].update({name: forms.Textarea(attrs={"rows": 2, "cols": 30})
                                  for name in ("message_en", "message_sw")})
        return super().get_formset(request, obj, **kwargs)


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):
    """Supervisors set the menu up here, with no code: keys 1–9, each to a team, a message or a voicemail."""

    form = MenuForm
    inlines = [MenuOptionInline]
    list_display = ["__str__", "enabled", "language", "language_key", "keys", "default_team"]
    readonly_fields = ["callers_hear"]
    fieldsets = [
        (None, {"fields": ["number", "enabled", "language", "language_key", "default_team"]}),
        ("What callers hear first", {
            "fields": [("greeting_en", "greeting_sw"), ("retry_message_en", "retry_message_sw")],
            "description": "The greeting is followed by one line per key, made from its labels: "
                           "“For sales, press 1.” / “Kwa mauzo, bonyeza 1.”. No key, or a key not on "
                           "the menu, plays the retry message and the keys once more; the second time "
                           "the caller goes to the default team.",
        }),
        ("What callers hear (preview, as saved)", {"fields": ["callers_hear"]}),
    ]

    @admin.display(description="keys")
    def keys(self, menu):
        return ", ".join(f"{o.key}: {o.label_en or o.label_sw}" for o in menu.options.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("default_team").prefetch_related("options")

    @admin.display(description="what callers hear")
    def callers_hear(self, menu):
        if menu.pk is None:
            return "Save the menu to see what callers will hear."
        return render_to_string("admin/integration/includes/callers_hear.html",
                                {"previews": menu_preview(menu, RoutingSettings.current())})
