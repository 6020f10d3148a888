"""The voice menu, step by step: what the caller hears and what their keys do to the call.

    menu = answering_menu("+254203893800")        # None: route to the whole desk, as with no menu
    prompt(menu, "sw-KE")                          # {"getDigits": {..., "say": {...}}}
    step = take_keys(call_id, menu, "2", signed_at)  # Step(choice="2", team=<Support>, ...)

Sautikit plays our `getDigits`, then posts another `call.routing` for the same call with
`digits` (DESIGN §4). The menu's progress is kept on the Call row, under its lock:

* a key on the menu is the caller's choice; from then on every answer for the call is
  that choice's (a repeated delivery reaches the same team, and the same agent);
* the language key plays the menu in the other language (once: that menu has no way back);
* no key, or any other input, plays the menu once more; the second time the caller goes
  to the default team (`choice == "none"`).

Each step is known by when Sautikit signed it (`Call.menu_keys_at`): a delivery signed at
or before the last step taken changes nothing and is answered from the state as it is. A
retry that Sautikit signed anew would count as a new step: for a wrong key, that sends the
caller to the default team one step early, never to an error.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from django.db import transaction
from django.db.models import Prefetch

from ..models import Call, Menu, MenuOption
from . import texts

logger = logging.getLogger(__name__)

NUM_DIGITS = 1
TIMEOUT = 8  # seconds Sautikit waits for a key after the prompt
REPEATS = 1  # a menu with no valid key is played this many more times
NO_CHOICE = "none"


@dataclass(frozen=True)
class Step:
    """Where the caller is after their keys: still in the menu (`choice == ""`) or on a branch."""

    language: str
    choice: str = ""
    misses: int = 0
    team: object = None  # agents.Team, for a team or voicemail branch (None: the whole desk)


def answering_menu(number):
    """The enabled menu for calls to `number` (its own, else the one for every number), or None.

    A number's own menu that is switched off means "no menu here", not "the general one".
    """
    options = Prefetch("options", queryset=MenuOption.objects.select_related("team"))
    menus = {m.number: m for m in Menu.objects.filter(number__in={number or "", ""})
             .select_related("default_team").prefetch_related(options)}
    menu = menus.get(number) if number else None
    menu = menu or menus.get("")
    return menu if menu is not None and menu.enabled else None


def prompt(menu, language, again=False):
    """The `getDigits` action: greeting (or, played again, the retry message), then one line per key."""
    lead = "retry_message" if again else "greeting"
    # The menu's own text in the caller's language, else the shipped one: the whole prompt is
    # read by one voice, so every line of it must be in that voice's language.
    parts = [pick_menu_text(menu, lead, language)]
    for option in menu.options.all():
        label = getattr(option, f"label_{texts.SUFFIX[language]}") or option.label_en or option.label_sw
        parts.append(texts.option_line(language, label.strip(), option.key))
    if menu.language_key and language == menu.language:
        parts.append(texts.switch_line(language, menu.language_key))
    text = " ".join(p for p in parts if p)
    return {"getDigits": {"numDigits": NUM_DIGITS, "timeout": TIMEOUT,
                          "say": {"text": text, "language": language}}}


def pick_menu_text(menu, name, language):
    text = getattr(menu, f"{name}_{texts.SUFFIX[language]}", "").strip()
    return text or texts.DEFAULTS["menu_greeting" if name == "greeting" else name][language]


def option(menu, choice):
    return next((o for o in menu.options.all() if o.key == choice), None)


def option_message(option, language, fallback=None):
    """The `say` of an option's message, in the caller's language if written in it, else the other.

    With nothing written, the shipped text `fallback` (e.g. the voicemail prompt), or nothing.
    """
    for spoken in (language, texts.other(language)):
        text = getattr(option, f"message_{texts.SUFFIX[spoken]}").strip()
        if text:
            return [{"say": {"text": text, "language": spoken}}]
    return [{"say": {"text": texts.DEFAULTS[fallback][language], "language": language}}] if fallback else []


def take_keys(call_id, menu, digits, signed_at):
    """Apply the caller's keys to the call (once per step) and return where that leaves them.

    Joins the caller's transaction when there is one (routing's, which then claims the
    agent while the call's row stays locked) rather than adding a savepoint.
    """
    at = datetime.fromtimestamp(signed_at, tz=timezone.utc)
    with transaction.atomic(savepoint=False):
        calls = Call.objects.select_for_update(of=("self",)).select_related("team")
        call = calls.filter(call_id=call_id).first()
        if call is None:  # the store always creates it first; answer without keeping state
            logger.warning("menu keys for a call with no row", extra={"call_id": call_id})
            call = Call(call_id=call_id)
        language = call.language or menu.language
        fresh = not call.menu_choice and (call.menu_keys_at is None or at > call.menu_keys_at)
        if fresh:
            _advance(call, menu, digits, language, at)
        if fresh and call.pk:
            call.save(update_fields=["language", "menu_choice", "menu_misses", "menu_keys_at", "team",
                                     "heard_message", "updated_at"])
        logger.info("menu keys", extra={"call_id": call_id, "digits_valid": bool(digits), "taken": fresh,
                                        "menu_choice": call.menu_choice, "menu_misses": call.menu_misses})
        return Step(language=call.language or language, choice=call.menu_choice, misses=call.menu_misses,
                    team=call.team)


def _advance(call, menu, digits, language, at):
    call.menu_keys_at = at
    call.language = language
    chosen = option(menu, digits) if digits else None
    if chosen is not None:
        call.menu_choice = digits
        call.heard_message = chosen.action == MenuOption.Action.MESSAGE
        call.team = in_freshdesk(chosen.team) if not call.heard_message else None
    elif digits and digits == menu.language_key and language == menu.language:
        call.language = texts.other(language)
    else:
        call.menu_misses += 1
        if call.menu_misses > REPEATS:
            call.menu_choice = NO_CHOICE
            call.team = in_freshdesk(menu.default_team)


def in_freshdesk(team):
    """A team whose Freshdesk group was deleted has no agents left: send its callers to the whole desk."""
    return team if team is not None and team.in_freshdesk else None
