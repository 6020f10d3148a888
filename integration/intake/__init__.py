"""Webhooks in: verify the signature, parse the event, store it and queue its processing."""
