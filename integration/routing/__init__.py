"""Answering `call.routing` while the caller waits: business hours and the agent to dial."""
