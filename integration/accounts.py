"""Which Freshdesk account SautiDesk talks to, read from the settings at call time.

    freshdesk_base_url()   # "https://acme.freshdesk.com", or FRESHDESK_BASE_URL (sandbox, tests)
    freshdesk_account()    # "acme.freshdesk.com": what a Ticket row records as its account
    account_of(base_url)   # the same for any base URL (a client built with its own)

A Freshdesk ticket id means something only inside its account: point FRESHDESK_DOMAIN at
another helpdesk, or restart a sandbox that forgot its tickets, and id 1 is someone else's
ticket. So every Ticket row says which account it lives in, and lookups only see the
configured account's tickets (`Ticket.objects`).
"""

from urllib.parse import urlsplit

from django.conf import settings


def freshdesk_base_url():
    """The API's base URL: FRESHDESK_BASE_URL when set, else https://FRESHDESK_DOMAIN ("" if neither)."""
    if settings.FRESHDESK_BASE_URL:
        return settings.FRESHDESK_BASE_URL
    return f"https://{settings.FRESHDESK_DOMAIN}" if settings.FRESHDESK_DOMAIN else ""


def freshdesk_account():
    """The configured account: host[:port] of the URL we send requests to, lower case."""
    return account_of(freshdesk_base_url())


def account_of(base_url):
    """The account a Freshdesk base URL reaches: its host[:port], lower case."""
    return urlsplit(base_url).netloc.lower()
