"""Date formats for LANGUAGE_CODE en-gb: a moment is always local time with its zone.

Django's admin uses these for every date and time it shows; `integration.timefmt` uses the
same for notes, lists and commands, so "2026-12-03 10:01 EAT" reads the same everywhere.
"""

DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
