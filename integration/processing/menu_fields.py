"""What a call's voice-menu choice adds to its Freshdesk ticket: the team's group, tags, a line.

    fields = menu_fields(call)   # MenuFields(group_id=72, tags=["menu_2", "lang_sw"], line="<p>…</p>")

So that the ticket lands in the chosen team's Freshdesk group (`group_id`, and with it the
team's views and assignment rules), can be found by the key pressed (`menu_2`, or
`menu_none` for a caller who chose nothing), and tells whoever calls back which language
the caller chose (`lang_sw`).
"""

from dataclasses import dataclass, field

from django.utils.html import escape

from ..routing.texts import LANGUAGES


@dataclass(frozen=True)
class MenuFields:
    group_id: int | None = None
    tags: list = field(default_factory=list)
    line: str = ""


def menu_fields(call):
    """The ticket fields of `call` (with `team` loaded); empty for a call that met no menu."""
    if not call.menu_choice and not call.language:
        return MenuFields()
    team = call.team if call.team_id and call.team.in_freshdesk else None
    tags = [f"menu_{call.menu_choice}"] if call.menu_choice else []
    if call.language:
        tags.append(f"lang_{call.language[:2]}")
    chose = ("chose nothing" if call.menu_choice == "none" else
             f"pressed {call.menu_choice}" if call.menu_choice else "hung up in the menu")
    parts = [f"Voice menu: {chose}"]
    if team is not None:
        parts.append(f"team {escape(team.name)}")
    if call.language:
        parts.append(f"in {dict(LANGUAGES)[call.language]}")
    return MenuFields(team.freshdesk_group_id if team else None, tags, f"<p>{', '.join(parts)}.</p>")
