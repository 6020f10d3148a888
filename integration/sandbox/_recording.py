"""A short audio file that plays, for the stand-in's recording URLs (standard library only)."""

from __future__ import annotations

import functools
import io
import math
import struct
import wave

RATE = 8000  # telephone quality: what a real call recording sounds like
NOTES = (523.25, 659.25, 783.99, 659.25)  # C5 E5 G5 E5: clearly a test tone, not silence


@functools.lru_cache(maxsize=1)
def recording_wav(seconds: float = 3.0) -> bytes:
    """A mono 16-bit WAV of soft beeps, ``seconds`` long (the same bytes every time)."""
    frames = bytearray()
    beep = int(RATE * 0.25)
    gap = int(RATE * 0.125)
    total = int(RATE * seconds)
    index = 0
    while len(frames) < total * 2:
        frequency = NOTES[index % len(NOTES)]
        for n in range(beep):
            fade = min(1.0, n / 200, (beep - n) / 200)  # no clicks at the edges
            sample = int(9000 * fade * math.sin(2 * math.pi * frequency * n / RATE))
            frames += struct.pack("<h", sample)
        frames += b"\x00\x00" * gap
        index += 1
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames[: total * 2]))
    return out.getvalue()
