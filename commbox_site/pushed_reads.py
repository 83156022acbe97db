"""Values read from Redis, kept in the process until Redis announces that they changed.

Every SCIM request reads its tenant's access version, and a GET each time was a round trip
on every request. A writer stores and announces the key in one round trip (`announce`); each
process listens on a thread of its own and forgets a key as its announcement arrives, so
the next read goes back to Redis. A value is kept for LEASE_SECONDS at most, and none is
kept while the subscription is down. What it saves: bench/RESULTS.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import redis

logger = logging.getLogger(__name__)

CHANNEL = "commbox:changed-keys"
LEASE_SECONDS = 1.0
# How long the listener waits for a message before it checks again, and how long it waits
# before subscribing again after losing Redis.
LISTEN_SECONDS = 1.0
RECONNECT_SECONDS = 1.0
MAX_VALUES = 4096


def announce(client: redis.Redis, key: str, value: str) -> None:
    """Store `value` at `key` and tell every process that reads it through PushedReads."""
    pipeline = client.pipeline(transaction=True)
    pipeline.set(key, value)
    pipeline.publish(CHANNEL, key)
    pipeline.execute()


class PushedReads:
    """The values of one Redis server that this process read, each forgotten when announced."""

    def __init__(
        self, connect: Callable[[], redis.Redis], *, clock: Callable[[], float] = time.monotonic
    ):
        self.connect = connect
        self.clock = clock
        self._values: OrderedDict[str, tuple[bytes | None, float]] = OrderedDict()
        self._lock = threading.Lock()
        # Moves on every announcement: a read that saw it move may be older than the news.
        self._generation = 0
        self._subscribed = threading.Event()
        self._listener_pid: int | None = None

    def get(self, client: redis.Redis, key: str) -> bytes | None:
        """The bytes at `key`: kept from an earlier read if nothing announced a change since."""
        self._listen()
        subscribed = self._subscribed.is_set()
        with self._lock:
            generation = self._generation
            kept = self._values.get(key) if subscribed else None
        if kept is not None and self.clock() - kept[1] < LEASE_SECONDS:
            return kept[0]
        value = client.get(key)
        if subscribed:
            with self._lock:
                if self._generation == generation and self._subscribed.is_set():
                    self._values[key] = (value, self.clock())
                    self._values.move_to_end(key)
                    if len(self._values) > MAX_VALUES:
                        self._values.popitem(last=False)
        return value

    @property
    def listening(self) -> bool:
        """Whether this process's subscription is up, so values are being kept."""
        return self._subscribed.is_set()

    def forget(self, key: str | None = None) -> None:
        """Forget `key` (every key if None); reads that started before go unkept."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._values.clear()
            else:
                self._values.pop(key, None)

    def _listen(self) -> None:
        """Start this process's listener (again after a fork: threads do not survive one)."""
        if self._listener_pid == os.getpid():
            return
        with self._lock:
            if self._listener_pid == os.getpid():
                return
            self._listener_pid = os.getpid()
            self._subscribed.clear()
            self._values.clear()
        threading.Thread(target=self._run, name="pushed-reads", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self._follow()
            except redis.RedisError as error:
                logger.debug("Subscription to %s lost: %s", CHANNEL, error)
            self._subscribed.clear()
            self.forget()
            time.sleep(RECONNECT_SECONDS)

    def _follow(self) -> None:
        pubsub = self.connect().pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            # Values are kept only once Redis has confirmed the subscription.
            while (pubsub.get_message(timeout=LISTEN_SECONDS) or {}).get("type") != "subscribe":
                pass
            self._subscribed.set()
            while True:
                message = pubsub.get_message(timeout=LISTEN_SECONDS)
                if message is not None and message["type"] == "message":
                    self.forget(message["data"].decode())
        finally:
            pubsub.close()
