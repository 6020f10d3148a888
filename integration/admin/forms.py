"""Form checks several admin pages share: a schedule routing can read, a number Sautikit can call."""

from django import forms

from ..phones import InvalidNumber, to_e164
from ..routing.business_hours import InvalidSchedule, parse_holidays, parse_hours


class ScheduleForm(forms.ModelForm):
    """Refuses business hours or holidays routing could not read, naming the bad part."""

    def clean_business_hours(self):
        spec = self.cleaned_data["business_hours"].strip()
        if spec:
            try:
                parse_hours(spec)
            except InvalidSchedule as err:
                raise forms.ValidationError(f"Not readable: {err}.") from None
        return spec

    def clean_holidays(self):
        errors = []
        parse_holidays(self.cleaned_data["holidays"], errors)
        if errors:
            raise forms.ValidationError(errors)
        return self.cleaned_data["holidays"]


def clean_number(value):
    """'' stays ''; a Kenyan 020 389 3800 becomes +254203893800, as Sautikit sends `to`."""
    value = value.strip()
    if not value:
        return ""
    try:
        return to_e164(value)
    except InvalidNumber:
        raise forms.ValidationError(f"“{value}” is not a phone number, e.g. +254203893800.") from None
