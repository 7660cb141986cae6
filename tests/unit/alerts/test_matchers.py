"""Alertmanager matcher syntax: what parses, what does not (and why), and full anchoring."""

from __future__ import annotations

import pytest

from cockpit.sources.alerts.matchers import (
    Matcher,
    MatchType,
    matches_all,
    parse_matcher,
    parse_matcher_list,
    parse_matchers,
)


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ('service="checkout"', "service", MatchType.EQUAL, "checkout"),
        ('service!="checkout"', "service", MatchType.NOT_EQUAL, "checkout"),
        ('severity=~"critical|page"', "severity", MatchType.REGEX, "critical|page"),
        ('severity!~"info|debug"', "severity", MatchType.NOT_REGEX, "info|debug"),
        ("service=checkout", "service", MatchType.EQUAL, "checkout"),
        ("severity=~critical|page", "severity", MatchType.REGEX, "critical|page"),
        ('  service  =  "checkout"  ', "service", MatchType.EQUAL, "checkout"),
        ('team=""', "team", MatchType.EQUAL, ""),
        ("team=", "team", MatchType.EQUAL, ""),
        ('msg="say \\"hi\\""', "msg", MatchType.EQUAL, 'say "hi"'),
        ('msg="a\\nb"', "msg", MatchType.EQUAL, "a\nb"),
        ('path="C:\\\\x"', "path", MatchType.EQUAL, "C:\\x"),
        ('re=~"\\d+"', "re", MatchType.REGEX, "\\d+"),
        ('ns:label_1="x"', "ns:label_1", MatchType.EQUAL, "x"),
        ('_x="a,b"', "_x", MatchType.EQUAL, "a,b"),
    ],
)
def test_valid_matchers(text: str, name: str, op: MatchType, value: str) -> None:
    matcher = parse_matcher(text)
    assert (matcher.name, matcher.op, matcher.value) == (name, op, value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("service", "expected a label name, an operator"),
        ('service "checkout"', "expected a label name, an operator"),
        ('="checkout"', "label name before = is missing"),
        ('1service="x"', "'1service' is not a valid label name"),
        ('ser-vice="x"', "'ser-vice' is not a valid label name"),
        ('service=="checkout"', "'==' is not an operator"),
        ('service=~~"x"', "'=~~' is not an operator"),
        ('service="checkout', "no closing double quote"),
        ('service="check"out"', "unescaped double quote"),
        ('service=check"out', "unescaped double quote"),
        ('service="x\\"', "no closing double quote"),
        ('severity=~"(critical"', "invalid regular expression"),
        ('severity!~"*"', "invalid regular expression"),
    ],
)
def test_invalid_matchers_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_matcher(text)
    message = str(caught.value)
    assert fragment in message
    assert message.startswith(f"matcher {text.strip()!r}")


def test_a_list_in_braces_with_commas_inside_quotes() -> None:
    matchers = parse_matchers('{service="checkout", msg="a, b", severity=~"critical|page",}')
    assert [str(m) for m in matchers] == [
        'service="checkout"',
        'msg="a, b"',
        'severity=~"critical|page"',
    ]


def test_an_escaped_quote_does_not_end_the_quoted_part() -> None:
    (matcher,) = parse_matchers('msg="she said \\"hi, all\\""')
    assert matcher.value == 'she said "hi, all"'


@pytest.mark.parametrize("text", ["", "{}", "  "])
def test_an_empty_list_has_no_matchers(text: str) -> None:
    assert parse_matchers(text) == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [('a="x",,b="y"', "empty matcher"), ('a="x', "not closed"), ('a="x", b', "'b'")],
)
def test_invalid_lists(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_matchers(text)


def test_a_config_list_flattens() -> None:
    matchers = parse_matcher_list(['service="checkout"', 'severity=~"critical|page"'])
    assert [m.name for m in matchers] == ["service", "severity"]


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ('severity=~"crit"', "critical", False),
        ('severity=~"crit.*"', "critical", True),
        ('severity=~"critical|page"', "page", True),
        ('severity=~"critical|page"', "pager", False),
        ('severity=~"critical|page"', "noncritical", False),
        ('severity=~"critical|page"', "critical\n", False),
        ('severity!~"critical|page"', "pager", True),
        ('severity!~"critical|page"', "page", False),
        ('severity=~"critical"', "critical", True),
        ('severity="critical"', "Critical", False),
    ],
)
def test_regexes_are_fully_anchored(text: str, value: str, expected: bool) -> None:
    assert parse_matcher(text).matches({"severity": value}) is expected


def test_a_missing_label_is_the_empty_string() -> None:
    labels = {"alertname": "X"}
    assert parse_matcher('team=""').matches(labels)
    assert parse_matcher('team!="ops"').matches(labels)
    assert not parse_matcher('team="ops"').matches(labels)
    assert parse_matcher('team=~".*"').matches(labels)
    assert not parse_matcher('team=~".+"').matches(labels)


def test_matches_all_needs_every_matcher() -> None:
    matchers = parse_matchers('service="checkout",severity=~"critical|page"')
    assert matches_all(matchers, {"service": "checkout", "severity": "page"})
    assert not matches_all(matchers, {"service": "checkout", "severity": "warning"})
    assert matches_all((), {"anything": "goes"})


def test_matchers_are_frozen_hashable_and_round_trip() -> None:
    matcher = parse_matcher('msg=~"say \\"hi\\"\\n"')
    assert parse_matcher(str(matcher)) == matcher
    assert len({matcher, parse_matcher(str(matcher))}) == 1
    with pytest.raises(AttributeError):
        matcher.value = "other"  # type: ignore[misc]


def test_direct_construction_validates() -> None:
    with pytest.raises(ValueError, match="not a valid label name"):
        Matcher("bad name", MatchType.EQUAL, "x")
    with pytest.raises(ValueError, match="invalid regular expression"):
        Matcher("x", MatchType.REGEX, "(")
