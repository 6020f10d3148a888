"""Running the service: health probes, heartbeats, metrics, retention, checks, the API schema."""
