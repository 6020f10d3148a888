"""A Call row built up from its events, whatever order they arrive in.

    record(event)          # upsert the event's call with the event applied (in a transaction)
    apply_event(call, event) → fields changed

A `call.routing` is recorded by the webhook itself (its answer needs the call); every
other event by the worker, just before its handler runs.
"""

from datetime import datetime, timezone

from django.db import transaction

from agents.models import AgentPhone

from ..models import Call
from ..pricing import call_cost

# How far each status is along a call's life; a call never moves back down.
PROGRESS = {
    Call.Status.RINGING: 0,
    Call.Status.ANSWERED: 1,
    Call.Status.COMPLETED: 2,
    Call.Status.FAILED: 2,
}
EVENT_STATUS = {
    "call.answered": Call.Status.ANSWERED,
    "call.completed": Call.Status.COMPLETED,
    "call.failed": Call.Status.FAILED,
}


def apply_event(call, event):
    """Record what `event` says about `call` (locked by the caller); return the fields changed."""
    changed = set()

    def put(name, value):
        if getattr(call, name) != value:
            setattr(call, name, value)
            changed.add(name)

    if not call.from_number and event.from_number:
        put("from_number", event.from_number)
    if not call.to_number and event.to_number:
        put("to_number", event.to_number)
    if not event.numbers_valid:
        put("number_unparsed", True)
    if call.agent_id is None and call.direction == Call.Direction.OUTBOUND and event.agent_id:
        # A softphone call whose placing timed out on our side is still the agent's call.
        agent = AgentPhone.objects.filter(freshdesk_agent_id=event.agent_id).first()
        if agent:
            put("agent", agent)
    at = datetime.fromtimestamp(event.signed_at, tz=timezone.utc)
    status = EVENT_STATUS.get(event.event)
    if status and PROGRESS[status] > PROGRESS[call.status]:
        put("status", status)
    if event.event == "call.answered" and not call.answered_at:
        put("answered_at", at)
    elif event.event == "call.failed" and call.status == Call.Status.FAILED:
        put("failure_status", call.failure_status or event.status or "failed")
        if not call.ended_at:
            put("ended_at", at)
    elif event.event == "call.completed":
        if event.duration_seconds is not None:
            put("duration_seconds", event.duration_seconds)
            put("cost_kes", call_cost(call.direction, event.duration_seconds))
        if not call.ended_at:
            put("ended_at", at)
    elif event.event == "recording.ready" and event.recording_url:
        put("recording_url", event.recording_url)
        put("recording_duration_seconds", event.recording_duration_seconds)
    return changed



def record(event):
    """Create the call as `event` describes it, or apply `event` to the existing row; the call.

    Inside the webhook's transaction (a `call.routing`) it takes no savepoint: an error
    there ends the whole delivery, which Sautikit then sends again.
    """
    with transaction.atomic(savepoint=False):
        new = Call(call_id=event.call_id, direction=event.direction)
        apply_event(new, event)
        # INSERT … ON CONFLICT DO NOTHING: a concurrent event of this call may have created it.
        Call.objects.bulk_create([new], ignore_conflicts=True)
        call = Call.objects.select_for_update().get(call_id=event.call_id)
        changed = apply_event(call, event)
        if changed:
            call.save(update_fields=[*changed, "updated_at"])
    return call
