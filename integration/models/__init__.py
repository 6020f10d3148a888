"""What SautiDesk keeps: webhook deliveries, calls and their tickets, routing rules, heartbeats.

One module per concern; everything is imported here, so `integration.models.Call` and the
app registry see every model as before (tables and migrations are unchanged).
"""

from .calls import Call, CurrentAccountTickets, Ticket, TicketQuerySet
from .heartbeats import Heartbeat
from .routing_rules import Menu, MenuOption, RoutingSettings
from .webhooks import WebhookEvent, WebhookEventQuerySet

__all__ = ["Call", "CurrentAccountTickets", "Heartbeat", "Menu", "MenuOption", "RoutingSettings", "Ticket",
           "TicketQuerySet", "WebhookEvent", "WebhookEventQuerySet"]
