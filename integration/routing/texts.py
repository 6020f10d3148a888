"""What callers hear, in the two languages Sautikit speaks: the shipped texts and how they are picked.

    text, language = pick([team, rules], "busy_message", "sw-KE")   # team's, else the desk's
    option_line("sw-KE", "mauzo", "1")                                # "Kwa mauzo, bonyeza 1."

Every message a supervisor can edit is a pair of fields, `<name>_en` and `<name>_sw`. The
defaults are written the way a Kenyan business says them on the phone, not translated word
for word. No Django here: models take their defaults from this module, and routing and the
admin preview share `pick`.
"""

EN, SW = "en-KE", "sw-KE"
LANGUAGES = [(EN, "English"), (SW, "Kiswahili")]
SUFFIX = {EN: "en", SW: "sw"}

DEFAULTS = {
    "greeting": {
        EN: "Thank you for calling. Connecting you to an agent now.",
        SW: "Asante kwa kutupigia simu. Tafadhali subiri tukuunganishe na mhudumu.",
    },
    "closed_message": {
        EN: "Thank you for calling. We are closed now. Please leave a message after the tone and "
            "we will call you back.",
        SW: "Asante kwa kutupigia simu. Ofisi zetu zimefungwa kwa sasa. Tafadhali acha ujumbe "
            "baada ya mlio, nasi tutakupigia baadaye.",
    },
    "busy_message": {
        EN: "All our agents are busy. Please leave a message after the tone and we will call you back.",
        SW: "Wahudumu wetu wote wanahudumia wateja wengine kwa sasa. Tafadhali acha ujumbe baada "
            "ya mlio, nasi tutakupigia baadaye.",
    },
    "menu_greeting": {
        EN: "Thank you for calling.",
        SW: "Karibu, na asante kwa kutupigia simu.",
    },
    "retry_message": {
        EN: "Sorry, we did not get your choice.",
        SW: "Samahani, hatukupata chaguo lako.",
    },
    "voicemail_message": {
        EN: "Please leave your message after the tone, and we will call you back.",
        SW: "Tafadhali acha ujumbe wako baada ya mlio, nasi tutakupigia baadaye.",
    },
}

# One line of the menu per key. The language key's line invites the caller in the *other*
# language's own words, as Kenyan lines do ("Kwa Kiswahili, bonyeza 9").
_OPTION = {EN: "For {label}, press {key}.", SW: "Kwa {label}, bonyeza {key}."}
_SWITCH = {EN: "Kwa Kiswahili, bonyeza {key}.", SW: "For English, press {key}."}


def default(name, suffix):
    """The shipped text of message `name` in the language of field suffix `en` / `sw`."""
    language = EN if suffix == "en" else SW
    return DEFAULTS[name][language]


def other(language):
    return SW if language == EN else EN


def pick(sources, name, language):
    """(text, language) of message `name`: in the caller's language if any source has it, else the other.

    `sources` are rows with `<name>_en` / `<name>_sw` fields, most specific first (a team,
    then the desk's routing settings); a blank field means "not set here". The caller's
    language matters more than who set the text, and a Kiswahili text is never read out
    by the English voice (or the other way round). ("", language) when no source has it.
    """
    for spoken in (language, other(language)):
        for source in sources:
            if source is None:
                continue
            text = (getattr(source, f"{name}_{SUFFIX[spoken]}", "") or "").strip()
            if text:
                return text, spoken
    return "", language


def option_line(language, label, key):
    return _OPTION[language].format(label=label, key=key)


def switch_line(language, key):
    return _SWITCH[language].format(key=key)
