"""Freshdesk writes that got no clear answer: how long before we may act as if they failed.

    if timezone.now() < in_flight_until(sent): wait     # not worth looking yet
    found = look()                                       # what it made, if anything
    if not found and timezone.now() < may_land_until(sent): wait

Freshdesk has no idempotency key, so a ticket or note create that timed out is never
simply sent again: `tickets.py` and `notes.py` record when it was *sent*, and before
sending another, wait until it can no longer be running anywhere.

* `in_flight_until(sent)`: until then the request may still be waiting for its answer at
  our end (connect + read timeout + IN_FLIGHT_MARGIN): a look would only cost requests.
* `may_land_until(sent)`: until then Freshdesk may still store it
  (FRESHDESK_CREATE_SETTLE_SECONDS, 300 s by default; docs/reliability.md says why).
"""

from datetime import timedelta

from django.conf import settings

# What a write may take at our end beyond its connect and read timeouts (commit, budget check).
IN_FLIGHT_MARGIN = 2
# While a write may still land, look for it this often (one to three Freshdesk requests a look).
POLL = 60


class Wait(Exception):
    """Not decidable now (another worker is at it, or a write may still land); no attempt spent."""

    def __init__(self, retry_after, reason):
        super().__init__(reason)
        self.retry_after = max(1.0, retry_after)


def in_flight_until(sent):
    connect, read = settings.FRESHDESK_TIMEOUT
    return sent + timedelta(seconds=connect + read + IN_FLIGHT_MARGIN)


def may_land_until(sent):
    return sent + timedelta(seconds=settings.FRESHDESK_CREATE_SETTLE_SECONDS)


def wait_while_in_flight(sent, now, what):
    if now < in_flight_until(sent):
        raise Wait((in_flight_until(sent) - now).total_seconds(), f"{what} may still be in flight")


def wait_while_it_may_land(sent, now, what):
    until = may_land_until(sent)
    if now < until:
        raise Wait(min((until - now).total_seconds(), POLL),
                   f"{what} sent at {sent:%H:%M:%S} UTC may still be stored by Freshdesk until {until:%H:%M:%S} UTC")
