"""The token bucket caps the packet rate over any window, across callers."""

from __future__ import annotations

import threading
import time

import pytest

from inventory.rate import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_burst_then_steady_rate() -> None:
    """The first ``burst`` tokens are free, then each costs 1/rate seconds."""
    clock = FakeClock()
    limiter = RateLimiter(100, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert limiter.take() == 0
    for _ in range(100):
        limiter.take()
    assert clock.now == pytest.approx(1.0)
    assert limiter.granted == 105


def test_idle_time_refills_only_up_to_burst() -> None:
    """A long pause does not bank more than ``burst`` tokens."""
    clock = FakeClock()
    limiter = RateLimiter(10, burst=2, clock=clock, sleep=clock.sleep)
    clock.now = 1000.0
    waited = [limiter.take() for _ in range(4)]
    assert waited[:2] == [0, 0] and waited[2] == pytest.approx(0.1)


def test_many_tokens_at_once() -> None:
    """Taking n tokens waits for all n."""
    clock = FakeClock()
    limiter = RateLimiter(50, burst=1, clock=clock, sleep=clock.sleep)
    assert limiter.take(11) == pytest.approx(0.2)


def test_paced_generator_counts_items() -> None:
    """``paced`` yields every item and calls back once per item."""
    clock = FakeClock()
    limiter = RateLimiter(1000, burst=1, clock=clock, sleep=clock.sleep)
    seen: list[int] = []
    assert list(limiter.paced(range(10), lambda: seen.append(1))) == list(range(10))
    assert len(seen) == 10 and clock.now == pytest.approx(0.009)


@pytest.mark.parametrize("rate", [0, -1, 10_001])
def test_rate_bounds(rate: float) -> None:
    """A zero, negative or absurd rate is refused."""
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate)


def test_threads_share_one_cap() -> None:
    """Four threads together stay under the cap (real clock, 200 tokens at 1000/s)."""
    limiter = RateLimiter(1000, burst=10)
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda: [limiter.take() for _ in range(50)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started >= (200 - 10) / 1000 * 0.95
