"""Shared CI helpers: median, pass rate, RFC 8288 Link parsing, loose payload reading."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cockpit.errors import ErrorKind, SourceError
from cockpit.models import RunStatus
from cockpit.present.pipelines import median
from cockpit.sources.ci.base import PayloadReader, parse_link_header, pass_rate

S, F, C, U = RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELLED, RunStatus.UNKNOWN


def test_median() -> None:
    assert median([]) is None
    assert median([3.0]) == 3.0
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median(x for x in [1.0, 2.0, 3.0, 10.0]) == 2.5


def test_pass_rate_over_the_last_n_decided_outcomes() -> None:
    assert pass_rate([]) is None
    assert pass_rate([C, U]) is None, "cancelled and unknown decide nothing"
    assert pass_rate([S, F, S, S]) == 0.75
    assert pass_rate([F, F, S, S], last=2) == 1.0, "only the newest (last) outcomes count"
    assert pass_rate([F, S, C, S], last=2) == 1.0, "the window skips undecided outcomes"
    with pytest.raises(ValueError, match="positive"):
        pass_rate([S], last=0)


def test_link_header_as_github_sends_it() -> None:
    value = (
        '<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", '
        '<https://api.github.com/repositories/1300192/issues?page=4>; rel="next", '
        '<https://api.github.com/repositories/1300192/issues?page=515>; rel="last", '
        '<https://api.github.com/repositories/1300192/issues?page=1>; rel="first"'
    )
    links = parse_link_header(value)
    assert links["next"].endswith("page=4") and links["last"].endswith("page=515")
    assert set(links) == {"prev", "next", "last", "first"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ("", {}),
        ("garbage", {}),
        ("<https://x/a>", {}),
        ("<https://x/a>; rel=next", {"next": "https://x/a"}),
        (
            '<https://x/a>; title="a, b"; REL="Next Last"',
            {"next": "https://x/a", "last": "https://x/a"},
        ),
        ('<https://x/a>; rel="next", <https://x/b>; rel="next"', {"next": "https://x/a"}),
        ('<https://x/a?x=1,2>; rel="next"', {"next": "https://x/a?x=1,2"}),
    ],
)
def test_link_header_edge_cases(value: str | None, expected: dict[str, str]) -> None:
    assert parse_link_header(value) == expected


def test_payload_reader_types_and_errors() -> None:
    reader = PayloadReader("gh", "the runs of acme/x", hint="check the url")
    item = {"id": 3, "flag": True, "name": "n", "none": None, "at": "2026-11-23T10:00:00Z"}
    assert reader.integer(item, "id") == 3
    assert reader.text(item, "name") == "n" and reader.text(item, "none", nullable=True) == ""
    assert reader.time(item, "at") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert reader.time(item, "none", nullable=True) is None
    assert reader.time({"at": "2026-11-23T10:00:00"}, "at") == datetime(
        2026, 11, 23, 10, tzinfo=UTC
    )
    for call in (
        lambda: reader.integer(item, "flag"),  # a bool is not an id
        lambda: reader.integer(item, "missing"),
        lambda: reader.text(item, "none"),
        lambda: reader.time({"at": "yesterday"}, "at"),
        lambda: reader.items({"runs": {}}, "runs"),
        lambda: reader.obj("x", "the body"),
    ):
        with pytest.raises(SourceError) as caught:
            call()
        error = caught.value
        assert (error.kind, error.source, error.hint) == (
            ErrorKind.BAD_RESPONSE,
            "gh",
            "check the url",
        )
        assert error.message.startswith("gh: unexpected answer from the runs of acme/x: ")


def test_recent_history_keeps_outcomes_without_durations() -> None:
    from dataclasses import dataclass
    from datetime import UTC, datetime

    from cockpit.models import RunStatus
    from cockpit.sources.ci.base import recent_history

    @dataclass
    class Run:
        status: RunStatus
        took: float | None

        def duration(self, now: datetime) -> float | None:
            return self.took

    now = datetime(2026, 11, 23, tzinfo=UTC)
    runs = [
        Run(RunStatus.SUCCESS, 60.0),
        Run(RunStatus.FAILURE, None),
        Run(RunStatus.SUCCESS, 90.0),
    ]
    recent = recent_history(runs, now)
    assert recent.durations == (60.0, 90.0)
    assert recent.outcomes == (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.SUCCESS)
