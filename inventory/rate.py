"""The packet-rate cap: one token bucket per scan, drawn from by every sender.

ARP, ping, SYN and SNMP batches draw one token per packet from a paced generator handed to
scapy, and banner grabs and name lookups draw one per connection, so the cap holds across phases
and threads. (scapy's own ``inter=`` would pace one call only and sleep after every packet.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
MAX_RATE = 10_000.0


class RateLimiter:
    """At most ``rate`` tokens a second on average, with bursts of at most ``burst``.

    Over any window of T seconds at most ``burst + rate * T`` tokens are granted. Callers are
    served in order: a caller reserves its tokens under the lock and sleeps outside it.
    """

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be in (0, {MAX_RATE:g}] packets per second")
        self.rate = float(rate)
        self.burst = burst if burst is not None else max(1, int(rate // 50))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._stamp = clock()
        self.granted = 0

    @property
    def interval(self) -> float:
        """Seconds between packets at the capped rate."""
        return 1.0 / self.rate

    def take(self, count: int = 1) -> float:
        """Block until ``count`` tokens are granted; return the seconds waited."""
        if count < 1:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= count
            self.granted += count
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def paced(self, items: Iterable[T], on_item: Callable[[], None] | None = None) -> Iterator[T]:
        """Yield ``items`` no faster than the cap; ``on_item`` is called after each."""
        for item in items:
            self.take()
            yield item
            if on_item is not None:
                on_item()
