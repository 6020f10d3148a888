"""A small HTTP/1.1 load generator for loopback benchmarks (asyncio, raw sockets).

    results = saturate(port, "/bench/bare/", [b"..."], connections=16, seconds=8)
    results = paced(port, "/webhooks/sautikit/", bodies, rate=200)

Requests are built to bytes in advance, so the generator spends its CPU on the
socket calls alone (it shares the 2 cores with the server). Gunicorn's sync
workers close every connection after the response, so each request opens one.
Both modes are bounded: by the number of bodies and by a deadline.
"""

import asyncio
import time
from dataclasses import dataclass

HOST = "127.0.0.1"  # loopback only
TIMEOUT = 10.0  # seconds for one request


@dataclass
class Result:
    status: int
    latency: float  # seconds, from the scheduled (or actual) start to the full response


def request_bytes(path, body):
    if body is None:
        return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


async def _exchange(port, raw):
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(raw)
        return await reader.read()  # until the server closes
    finally:
        writer.close()


async def _one(port, raw, started):
    """One request on a new connection; status 0 for no (valid) answer within TIMEOUT."""
    try:
        response = await asyncio.wait_for(_exchange(port, raw), TIMEOUT)
        status = int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError, asyncio.TimeoutError):
        status = 0
    return Result(status, time.perf_counter() - started)


async def _saturate(port, raws, connections, seconds):
    results, position = [], 0
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal position
        while position < len(raws) and time.perf_counter() < deadline:
            raw, position = raws[position], position + 1
            results.append(await _one(port, raw, time.perf_counter()))

    begun = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    return results, time.perf_counter() - begun


def saturate(port, path, bodies, connections=16, seconds=8.0):
    """As fast as `connections` concurrent clients go; returns (results, elapsed seconds).

    `bodies` is a list of bodies (None for a GET); each is sent once, at most for `seconds`.
    """
    raws = [request_bytes(path, body) for body in bodies]
    return asyncio.run(_saturate(port, raws, connections, seconds))


async def _paced(port, raws, rate, seconds):
    begun = time.perf_counter()
    tasks = []
    for i, raw in enumerate(raws):
        due = begun + i / rate
        if due - begun > seconds:
            break
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        # Latency counts from when the request was due, so a stalled server is not hidden
        # by the generator waiting for it (coordinated omission).
        tasks.append(asyncio.create_task(_one(port, raw, due)))
    results = await asyncio.gather(*tasks)  # each ends within TIMEOUT
    return results, time.perf_counter() - begun


def paced(port, path, bodies, rate, seconds=30.0):
    """One request every 1/`rate` s, open loop, until the bodies or `seconds` run out."""
    raws = [request_bytes(path, body) for body in bodies]
    return asyncio.run(_paced(port, raws, rate, seconds))
