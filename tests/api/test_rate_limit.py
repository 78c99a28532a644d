"""The token bucket that limits anonymous survey answers per client address."""

from pytest import approx

from centric.api.surveys import RateLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_burst_then_one_per_interval_per_client():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)  # one token every 10 s
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == approx(10.0)
    assert limiter.take("b") == 0  # another address has its own bucket
    clock.now += 4
    assert limiter.take("a") == approx(6.0)
    clock.now += 6
    assert limiter.take("a") == 0 and limiter.take("a") == approx(10.0)
    clock.now += 1000
    assert [limiter.take("a") for _ in range(4)][-1] > 0  # the saved-up tokens never pass the burst


def test_the_number_of_buckets_is_bounded():
    limiter = RateLimiter(per_minute=60, burst=1, clock=Clock(), max_clients=100)
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) == 100
