"""What a caller hears, written out for supervisors: the menu and every branch, in each language.

    preview = menu_preview(menu, RoutingSettings.current())   # [LanguagePreview(...), ...]
    team_outcomes(Scope(rules, team), "sw-KE")                 # [Heard(...), ...]

Built from the same functions routing answers with (`menu.prompt`, `Scope.say`, …), so the
preview cannot drift from what Sautikit is told to say. Reads rows only; rings nobody.
"""

from dataclasses import dataclass, field

from django.conf import settings

from ..models import MenuOption
from . import menu as menus
from .scope import Scope
from .texts import LANGUAGES, other

LANGUAGE_NAMES = dict(LANGUAGES)


@dataclass
class Heard:
    """One thing that can happen: when, what the caller hears (text, language), what follows."""

    when: str
    says: list = field(default_factory=list)
    then: str = ""


@dataclass
class Branch:
    title: str
    outcomes: list


@dataclass
class LanguagePreview:
    language: str
    prompt: Heard
    branches: list


def _says(actions):
    return [(a["say"]["text"], LANGUAGE_NAMES[a["say"]["language"]]) for a in actions if "say" in a]


def hours_text(scope):
    team = scope.team
    if team is not None and team.business_hours.strip():
        return team.business_hours
    return scope.rules.business_hours.strip() or f"{settings.BUSINESS_HOURS} (BUSINESS_HOURS)"


def team_outcomes(scope, language):
    """The three things a caller put through to `scope` can meet, in `language`."""
    if scope.team is not None:
        agents = scope.team.agents.dialable()
        who = (f"the longest-idle free agent of {scope.name} ({agents.count()} with a phone, "
               f"{agents.filter(available=True).count()} available now)")
    else:
        who = "the longest-idle free agent of the whole desk"
    busy_when = "open, nobody free"
    if scope.overflow is not None:
        busy_when += (f": {scope.overflow.name} is tried first (if open, with the desk's greeting), "
                      "and nobody is free there either")
    return [
        Heard("open, an agent free", _says(scope.say("greeting", language)), f"rings {who}"),
        Heard(busy_when, _says(scope.say("busy_message", language)),
              "hangs up" if scope.busy_action == "hangup" else "takes a voicemail"),
        Heard(f"closed (open {hours_text(scope)}) or a holiday", _says(scope.say("closed_message", language)),
              "takes a voicemail"),
    ]


def _option_branch(menu, option, rules, language):
    label = getattr(option, f"label_{'sw' if language == 'sw-KE' else 'en'}") or option.label_en
    if option.action == MenuOption.Action.MESSAGE:
        return Branch(f"Press {option.key}: {label} (a message)",
                      [Heard("always", _says(menus.option_message(option, language)), "hangs up")])
    if option.action == MenuOption.Action.VOICEMAIL:
        ticket = f"; the callback ticket goes to {option.team.name}" if option.team else ""
        return Branch(f"Press {option.key}: {label} (voicemail)",
                      [Heard("always", _says(menus.option_message(option, language, "voicemail_message")),
                             f"takes a voicemail{ticket}")])
    team = menus.in_freshdesk(option.team)
    return Branch(f"Press {option.key}: {label} → {team.name if team else 'the whole desk'}",
                  team_outcomes(Scope(rules, team), language))


def _heard(when, say, then):
    return Heard(when, [(say["text"], LANGUAGE_NAMES[say["language"]])], then)


def menu_preview(menu, rules):
    """The menu as heard in its language, then (with a language key) in the other one."""
    languages = [menu.language] + ([other(menu.language)] if menu.language_key else [])
    previews = []
    for language in languages:
        branches = [_option_branch(menu, option, rules, language) for option in menu.options.all()]
        if menu.language_key and language == menu.language:
            switched = f"the menu again, in {LANGUAGE_NAMES[other(language)]}"
            branches.append(Branch(f"Press {menu.language_key}", [Heard("always", [], switched)]))
        default = menus.in_freshdesk(menu.default_team)
        again = menus.prompt(menu, language, again=True)["getDigits"]["say"]
        branches.append(Branch("No key, or a key not on the menu", [
            _heard("the first time", again, "waits for a key again"),
            Heard("the second time", [], f"goes to {default.name if default else 'the whole desk'}:"),
            *team_outcomes(Scope(rules, default), language),
        ]))
        prompt = menus.prompt(menu, language)["getDigits"]["say"]
        starts = _heard("the call starts", prompt, f"waits {menus.TIMEOUT} s for one key")
        previews.append(LanguagePreview(LANGUAGE_NAMES[language], starts, branches))
    return previews
