"""Webhook text made fit for a one-line Freshdesk field (a subject, a contact's name).

    one_line("Amina\x00 Otieno\n\u202e")   # -> "Amina Otieno"

Everything outside the signed `signed_at.call_id.event` is untrusted (DESIGN §3). Control
characters — NUL, escape sequences, line breaks — and the bidirectional overrides that make
text display in another order than it reads would otherwise land in ticket subjects and
contact names agents see and search.
"""

import re

# C0 and C1 controls, line/paragraph separators, bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text):
    """`text` with unsafe characters replaced by spaces and runs of space collapsed."""
    return " ".join(_UNSAFE.sub(" ", text).split())
