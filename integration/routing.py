"""Answering `call.routing` with voice actions (DESIGN §4).

Kept deliberately small until the routing work lands: dial the first available
agent with a phone, else say the busy message and hang up.
"""

from django.conf import settings

from agents.models import AgentPhone

from .models import RoutingSettings


def voice_actions(event):
    rules = RoutingSettings.objects.first() or RoutingSettings()
    agent = next((a for a in AgentPhone.objects.filter(is_active=True, available=True) if a.dial_number), None)
    say = {"language": rules.language}
    if agent is None:
        return {"actions": [{"say": {"text": rules.busy_message, **say}}, {"hangup": {}}]}
    caller_id = event.to_number or settings.SAUTIKIT_FROM_NUMBER
    return {"actions": [
        {"say": {"text": rules.greeting, **say}},
        {"dial": {"to": agent.dial_number, "callerId": caller_id, "timeout": 25}},
    ]}
