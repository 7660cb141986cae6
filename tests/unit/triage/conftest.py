"""Shared corpus loading, and the accuracy report printed in pytest's terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from .corpus_cases import Case, load_corpus

ACCURACY_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def corpus() -> list[Case]:
    return load_corpus()


@pytest.fixture
def accuracy_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines a test wants shown in the terminal summary (visible without `-s`)."""
    return request.config.stash.setdefault(ACCURACY_REPORT, [])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(ACCURACY_REPORT, [])
    if not lines:
        return
    terminalreporter.section("failure triage accuracy")
    for line in lines:
        terminalreporter.write_line(line)
