"""Fixtures for the operations tests: live heartbeats and broker URLs."""

import socket

import pytest

from integration.ops.tasks import heartbeat_task


@pytest.fixture
def heartbeats():
    """Beat and worker heartbeats as production makes them: publish the task, then run it."""

    def beat():
        heartbeat_task.apply_async()  # what beat does every 30 s (records beat's heartbeat)
        heartbeat_task()  # what the worker then does with it

    beat()
    return beat


@pytest.fixture
def dead_port():
    """A local TCP port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

