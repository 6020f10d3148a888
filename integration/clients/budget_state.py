"""Where the Freshdesk budget's state lives: Redis for every worker process, or this process.

    state = RedisState("redis://127.0.0.1:6379/0")      # or MemoryState()
    state.take(account, assumed_limit=600, interval=0.127, tolerance=0.5, queue=True)
    #   → ("granted", 0) | ("wait", seconds) | ("relimit", 600.0)

The state of one account is four numbers (`budget.py` says what they mean): `limit` (learned
from Freshdesk's headers), `tat` (GCRA's theoretical arrival time), `next` (the first slot no
waiting request has been promised yet) and `pause` (no request before this, after a 429).
Redis keeps them in one hash per account and changes them in Lua scripts, so every decision
is atomic across hosts, and its clock (TIME) is the only one that counts. `MemoryState` runs
the same rules under a lock, for one process (SQLite and filesystem-broker setups, tests);
tests/integration/test_budget_rules.py runs the same cases against both.

`take` answers "relimit" when the stored limit is not the one the caller computed its
pace from: the caller recomputes and asks again (once, when a limit is learned).
"""

import threading
import time

import redis

KEY_PREFIX = "sautidesk:freshdesk-budget:"
# A learned limit is kept this long without a request to refresh it; then it is learned again.
TTL_SECONDS = 86_400

_TAKE = """
local now = tonumber(ARGV[6])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) + tonumber(t[2]) / 1e6 end
local s = redis.call('HMGET', KEYS[1], 'limit', 'tat', 'next', 'pause')
local limit = tonumber(s[1]) or 0
if ARGV[1] ~= '' and limit ~= tonumber(ARGV[1]) then return {'relimit', tostring(limit)} end
local interval, tolerance, horizon = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local tat = math.max(tonumber(s[2]) or 0, now)
local nxt, pause = tonumber(s[3]) or 0, tonumber(s[4]) or 0
if pause <= now and tat - now <= tolerance then
  redis.call('HSET', KEYS[1], 'tat', tostring(tat + interval))
  redis.call('EXPIRE', KEYS[1], ARGV[7])
  return {'granted', '0'}
end
local slot = math.max(tat - tolerance, pause)
if ARGV[4] == '1' then
  slot = math.max(slot, nxt)
  if slot - now <= horizon then
    redis.call('HSET', KEYS[1], 'next', tostring(slot + interval))
    redis.call('EXPIRE', KEYS[1], ARGV[7])
    return {'queued', tostring(slot - now)}
  end
  return {'wait', tostring(horizon)}
end
return {'wait', tostring(slot - now)}
"""

_LEARN = """
local now = tonumber(ARGV[3])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) + tonumber(t[2]) / 1e6 end
local old = tonumber(redis.call('HGET', KEYS[1], 'limit')) or 0
if old ~= tonumber(ARGV[1]) then
  local tat = tonumber(redis.call('HGET', KEYS[1], 'tat')) or now
  redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'next', '0',
             'tat', tostring(now + math.max(0, tat - now) * tonumber(ARGV[2])))
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return tostring(old)
"""

_CHARGE = """
local now = tonumber(ARGV[3])
if not now then local t = redis.call('TIME'); now = tonumber(t[1]) + tonumber(t[2]) / 1e6 end
local s = redis.call('HMGET', KEYS[1], 'tat', 'pause')
local tat = math.max(tonumber(s[1]) or 0, now) + tonumber(ARGV[1])
local pause = math.max(tonumber(s[2]) or 0, now + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'tat', tostring(tat), 'pause', tostring(pause))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return tostring(pause - now)
"""


def _arg(value):
    return "" if value is None else repr(float(value))


class RedisState:
    """The budget in Redis, shared by every process that points at the same URL."""

    def __init__(self, url, clock=None):
        # Short timeouts: a Redis that does not answer must not hold a task up (budget.py
        # then falls back to this process's memory).
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.clock = clock  # None: Redis's own clock; tests pass a fake one
        self._take = self.client.register_script(_TAKE)
        self._learn = self.client.register_script(_LEARN)
        self._charge = self.client.register_script(_CHARGE)

    def _now(self):
        return _arg(self.clock()) if self.clock else ""

    def take(self, account, assumed_limit, interval, tolerance, queue, horizon):
        verdict, value = self._take(keys=[KEY_PREFIX + account], args=[
            _arg(assumed_limit), _arg(interval), _arg(tolerance), "1" if queue else "0",
            _arg(horizon), self._now(), TTL_SECONDS])
        return verdict.decode(), float(value)

    def learn(self, account, limit, rescale):
        old = float(self._learn(keys=[KEY_PREFIX + account],
                                args=[_arg(limit), _arg(rescale), self._now(), TTL_SECONDS]))
        return old or None

    def charge(self, account, seconds=0.0, pause=0.0):
        return float(self._charge(keys=[KEY_PREFIX + account],
                                  args=[_arg(seconds), _arg(pause), self._now(), TTL_SECONDS]))

    def read(self, account):
        raw = self.client.hgetall(KEY_PREFIX + account)
        now = self.clock() if self.clock else _redis_now(self.client)
        return {k.decode(): float(v) for k, v in raw.items()}, now

    def forget(self, account):
        self.client.delete(KEY_PREFIX + account)


def _redis_now(client):
    seconds, micros = client.time()
    return seconds + micros / 1e6


class MemoryState:
    """The same rules for one process: right for a single worker process, and for tests."""

    def __init__(self, clock=None):
        self.clock = clock or time.time
        self._accounts = {}
        self._lock = threading.Lock()

    def _state(self, account):
        return self._accounts.setdefault(account, {"limit": 0.0, "tat": 0.0, "next": 0.0, "pause": 0.0})

    def take(self, account, assumed_limit, interval, tolerance, queue, horizon):
        with self._lock:
            now, s = self.clock(), self._state(account)
            if assumed_limit is not None and s["limit"] != assumed_limit:
                return "relimit", s["limit"]
            tat = max(s["tat"], now)
            if s["pause"] <= now and tat - now <= tolerance:
                s["tat"] = tat + interval
                return "granted", 0.0
            slot = max(tat - tolerance, s["pause"])
            if not queue:
                return "wait", slot - now
            slot = max(slot, s["next"])
            if slot - now > horizon:
                return "wait", horizon
            s["next"] = slot + interval
            return "queued", slot - now

    def learn(self, account, limit, rescale):
        with self._lock:
            now, s = self.clock(), self._state(account)
            old = s["limit"]
            if old != limit:
                s.update(limit=float(limit), next=0.0, tat=now + max(0.0, s["tat"] - now) * rescale)
            return old or None

    def charge(self, account, seconds=0.0, pause=0.0):
        with self._lock:
            now, s = self.clock(), self._state(account)
            s["tat"] = max(s["tat"], now) + seconds
            s["pause"] = max(s["pause"], now + pause)
            return s["pause"] - now

    def read(self, account):
        with self._lock:
            return dict(self._accounts.get(account, {})), self.clock()

    def forget(self, account=None):
        with self._lock:
            if account is None:
                self._accounts.clear()
            else:
                self._accounts.pop(account, None)
