"""Backoff: full jitter within its bounds, the floor, the remote's wish, reproducibility."""

from __future__ import annotations

import random

import pytest

from cockpit.engine.backoff import (
    BackoffPolicy,
    backoff_ceiling,
    full_jitter,
    remote_wait,
    retry_delay,
)


def test_ceiling_doubles_then_caps() -> None:
    ceilings = [backoff_ceiling(n, base_s=1.0, cap_s=20.0) for n in range(7)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]


def test_ceiling_of_a_very_long_outage_does_not_overflow() -> None:
    assert backoff_ceiling(10_000, base_s=0.5, cap_s=300.0) == 300.0


def test_negative_attempt_is_refused() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_ceiling(-1, base_s=1.0, cap_s=10.0)
    with pytest.raises(ValueError, match="failures"):
        retry_delay(BackoffPolicy(base_s=1.0), -1, random.Random(0))


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    rng = random.Random(1234)
    samples = [full_jitter(3, base_s=1.0, cap_s=100.0, rng=rng) for _ in range(2000)]
    assert all(0.0 <= s <= 8.0 for s in samples)
    # Full jitter, not "equal jitter": the low half of the range is used as much as the high.
    assert min(samples) < 0.5
    assert max(samples) > 7.5
    low = sum(1 for s in samples if s < 4.0)
    assert 800 < low < 1200


def test_full_jitter_is_reproducible_with_a_seed() -> None:
    first = [full_jitter(n, base_s=2.0, cap_s=60.0, rng=random.Random(7)) for n in range(5)]
    again = [full_jitter(n, base_s=2.0, cap_s=60.0, rng=random.Random(7)) for n in range(5)]
    assert first == again
    expected = [random.Random(7).uniform(0, min(60.0, 2.0 * 2**n)) for n in range(5)]
    assert first == expected


def test_success_waits_exactly_the_floor() -> None:
    policy = BackoffPolicy.for_interval(15.0)
    assert retry_delay(policy, 0, random.Random(0)) == 15.0


def test_failures_never_wait_less_than_the_floor_nor_more_than_the_cap() -> None:
    policy = BackoffPolicy(base_s=1.0, cap_s=50.0, floor_s=5.0)
    rng = random.Random(99)
    for failures in range(1, 12):
        for _ in range(200):
            delay = retry_delay(policy, failures, rng)
            assert 5.0 <= delay <= max(5.0, min(50.0, 2.0 ** (failures - 1)))


def test_backoff_grows_with_consecutive_failures() -> None:
    policy = BackoffPolicy(base_s=1.0, cap_s=1000.0)
    rng = random.Random(5)

    def mean(failures: int) -> float:
        return sum(retry_delay(policy, failures, rng) for _ in range(500)) / 500

    means = [mean(n) for n in (1, 3, 5, 7)]
    assert means == sorted(means)
    assert means[-1] > 20 * means[0]


def test_remote_wait_wins_when_longer() -> None:
    policy = BackoffPolicy.for_interval(10.0)
    assert retry_delay(policy, 1, random.Random(0), remote_wait_s=120.0) == 120.0
    # ... and is ignored when shorter than the backoff.
    assert retry_delay(policy, 0, random.Random(0), remote_wait_s=3.0) == 10.0


def test_remote_wait_is_capped() -> None:
    policy = BackoffPolicy.for_interval(10.0)
    assert retry_delay(policy, 1, random.Random(0), remote_wait_s=10**9) == 3600.0


def test_for_interval_uses_the_interval_as_base_and_floor() -> None:
    policy = BackoffPolicy.for_interval(600.0, cap_s=300.0)
    assert (policy.base_s, policy.floor_s, policy.cap_s) == (600.0, 600.0, 600.0)


def test_negative_policy_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        BackoffPolicy(base_s=-1.0)


def test_remote_wait_takes_the_longest_known_wish() -> None:
    assert remote_wait(None, None) is None
    assert remote_wait(None, 30.0, 5.0) == 30.0
