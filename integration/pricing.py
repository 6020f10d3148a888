"""Sautikit prices in KES (contract §7, as of 2026-06-30)."""

from decimal import ROUND_HALF_UP, Decimal

OUTBOUND_PER_SECOND = Decimal("0.05")  # KES 3/min, billed per second
INBOUND_PER_SECOND = Decimal("0")
RECORDING_PER_MINUTE = Decimal("0.50")
NUMBER_PER_MONTH = Decimal("100")  # ex. VAT
VAT_RATE = Decimal("0.16")
CENTS = Decimal("0.01")


def call_cost(direction, duration_seconds):
    """What Sautikit charges for the call itself."""
    rate = OUTBOUND_PER_SECOND if direction == "outbound" else INBOUND_PER_SECOND
    return (rate * int(duration_seconds or 0)).quantize(CENTS, ROUND_HALF_UP)


def recording_cost(duration_seconds):
    """Recording is charged per minute, pro rata per second."""
    return (RECORDING_PER_MINUTE * int(duration_seconds or 0) / 60).quantize(CENTS, ROUND_HALF_UP)
