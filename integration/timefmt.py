"""How SautiDesk writes a moment for people: local time (TIME_ZONE) with the zone.

    local_text(call.started_at)   # "2026-12-03 10:01 EAT"

Freshdesk notes, admin columns, the run banner's commands and Django's own admin pages all
show this one format (sautidesk/formats), so nobody has to guess whether a time is UTC.
"""

from django.utils import dateformat, timezone

from sautidesk.formats.en_GB.formats import DATETIME_FORMAT


def local_text(at):
    """`at` (an aware datetime) in the current time zone, e.g. "2026-12-03 10:01 EAT"; "—" for None."""
    if at is None:
        return "—"
    return dateformat.format(timezone.localtime(at), DATETIME_FORMAT)
