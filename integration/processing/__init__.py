"""Stored events out to Freshdesk: the task, the state machine and what each event does."""
