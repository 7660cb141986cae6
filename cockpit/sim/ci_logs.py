"""The scripted log lines of the scenario's CI steps, by step and by why a step fails.

A failing step says why in its last lines, the way real CI output does, so triage has something
honest to classify:
- `code`: a pytest assertion (route to the author);
- `flaky`: for `search`, a timeout against Elasticsearch; for `ledger`, a test the team has
  marked known-flaky, timing out on a lock;
- `infra`: the runner killed the job (exit code 137, out of memory), as on a lost or overloaded
  agent. Flaky and infra failures pass when the same commit is re-run.
"""

from __future__ import annotations

from typing import Literal

FailureKind = Literal["code", "flaky", "infra"]

_PASSING = {
    "checkout": ("Syncing repository", "Checked out at HEAD"),
    "setup": ("Setting up Python 3.11", "Restored dependency cache"),
    "build": ("Building wheel", "Successfully built package"),
    "test": ("Running pytest", "412 passed in 88.1s"),
    "publish": ("Pushing image", "Published image digest"),
}

_SEARCH_TIMEOUT = (
    "Running pytest",
    "tests/test_query.py::test_search_latency FAILED",
    "elasticsearch.exceptions.ConnectionTimeout: Connection timed out after 30s",
    "##[error]Process completed with exit code 1.",
)

_KNOWN_FLAKY = (
    "Running pytest",
    "tests/test_postings.py::test_concurrent_postings FAILED",
    "FAILED tests/test_postings.py::test_concurrent_postings - TimeoutError: lock wait timeout "
    "after 5.0s (known flaky: LEDGER-231)",
    "1 failed, 511 passed in 71.3s",
)

_ASSERTION = (
    "Running pytest",
    "FAILED tests/test_refunds.py::test_partial_refund_rounding - AssertionError: "
    "assert Decimal('10.01') == Decimal('10.00')",
    "1 failed, 388 passed in 61.0s",
    "##[error]Process completed with exit code 1.",
)

_KILLED = (
    "Running integration tests",
    "+ ./gradlew integrationTest --no-daemon",
    "> Task :integrationTest",
    "script.sh: line 1:  2817 Killed                  ./gradlew integrationTest --no-daemon",
    "ERROR: script returned exit code 137",
)


def step_log(
    step: str, fails: bool, kind: FailureKind = "code", service: str = ""
) -> tuple[str, ...]:
    """The lines a step logs: its passing lines, or the failure `kind` says (see module doc)."""
    if not fails:
        return _PASSING[step]
    if kind == "infra":
        return _KILLED
    if kind == "flaky":
        return _KNOWN_FLAKY if service == "ledger" else _SEARCH_TIMEOUT
    return _ASSERTION
