"""How long to wait before polling a source again: exponential backoff with full jitter.

The rule, in one line: after the n-th consecutive failure (n >= 1) the engine waits

    max(floor, uniform(0, min(cap, base * 2 ** (n - 1))), remote_wait)

- *Full jitter* (AWS Architecture Blog, "Exponential Backoff And Jitter"): the jittered sleep is
  drawn uniformly from zero to the exponential ceiling, so many cockpits that lost the same server
  at the same moment do not come back in lock-step.
- The *floor* (normally the source's poll interval) keeps a failing source from being polled
  more often than a healthy one: backoff only ever slows polling down.
- The *remote wait* is what the server asked for: `Retry-After`, or the seconds until an exhausted
  rate-limit budget resets. We never come back earlier than that. It is capped at
  `max_remote_wait_s`, so a bogus header (a reset years away) cannot freeze a pane forever.

Every function here is pure: randomness comes from an injected `random.Random`, so a seeded
generator makes every delay reproducible in tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

DEFAULT_CAP_S = 300.0
"""The ceiling of the exponential part: a failing source is still tried every five minutes."""

DEFAULT_MAX_REMOTE_WAIT_S = 3600.0
"""The longest wait a remote can impose (GitHub's and GitLab's budgets reset within an hour)."""

# 2.0 ** 64 is far past any cap; clamping the exponent keeps a long outage from overflowing.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """The parameters of one source's backoff.

    Attributes:
        base_s: The ceiling of the first retry's jitter; it doubles with each further failure.
        cap_s: The largest ceiling the doubling reaches.
        floor_s: The shortest wait ever returned (the poll interval).
        max_remote_wait_s: The longest `Retry-After` / rate-limit reset honoured.
    """

    base_s: float
    cap_s: float = DEFAULT_CAP_S
    floor_s: float = 0.0
    max_remote_wait_s: float = DEFAULT_MAX_REMOTE_WAIT_S

    def __post_init__(self) -> None:
        if self.base_s < 0 or self.cap_s < 0 or self.floor_s < 0 or self.max_remote_wait_s < 0:
            raise ValueError("backoff durations must not be negative")

    @classmethod
    def for_interval(cls, interval_s: float, *, cap_s: float = DEFAULT_CAP_S) -> BackoffPolicy:
        """The engine's policy for a source polled every `interval_s` seconds.

        The interval is both the base and the floor, so the first failure retries after one
        interval, and the cap is never below the interval.
        """
        return cls(base_s=interval_s, cap_s=max(cap_s, interval_s), floor_s=interval_s)


def backoff_ceiling(attempt: int, *, base_s: float, cap_s: float) -> float:
    """The upper bound of the jitter for retry number `attempt` (0-based): min(cap, base * 2**n).

    Raises:
        ValueError: when `attempt` is negative.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    return min(cap_s, base_s * 2.0 ** min(attempt, _MAX_EXPONENT))


def full_jitter(attempt: int, *, base_s: float, cap_s: float, rng: random.Random) -> float:
    """AWS-style full jitter: uniform(0, min(cap, base * 2**attempt)).

    Args:
        attempt: Retry number, 0 for the first retry.
        base_s: The first ceiling.
        cap_s: The largest ceiling.
        rng: The source of randomness (seed it in tests).
    """
    return rng.uniform(0.0, backoff_ceiling(attempt, base_s=base_s, cap_s=cap_s))


def retry_delay(
    policy: BackoffPolicy,
    failures: int,
    rng: random.Random,
    *,
    remote_wait_s: float | None = None,
) -> float:
    """Seconds to wait before the next poll.

    Args:
        policy: The source's backoff parameters.
        failures: Consecutive failures so far, counting the poll that just ended; 0 after a
            success (then there is no jitter: the floor, or the remote's wish if longer).
        rng: The source of randomness for the jitter.
        remote_wait_s: What the remote asked for (Retry-After, or until the budget resets).

    Returns:
        max(floor, full jitter, remote wait), the remote wait capped at `max_remote_wait_s`.
    """
    if failures < 0:
        raise ValueError(f"failures must be >= 0, got {failures}")
    wait = policy.floor_s
    if failures > 0:
        jitter = full_jitter(failures - 1, base_s=policy.base_s, cap_s=policy.cap_s, rng=rng)
        wait = max(wait, jitter)
    if remote_wait_s is not None and remote_wait_s > 0:
        wait = max(wait, min(remote_wait_s, policy.max_remote_wait_s))
    return wait


def remote_wait(*candidates: float | None) -> float | None:
    """The longest of the remote's wishes that are known (None when none is)."""
    known = [c for c in candidates if c is not None]
    return max(known) if known else None
