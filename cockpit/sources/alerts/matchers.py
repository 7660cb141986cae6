"""Alertmanager label matchers: `name="value"`, `name!="v"`, `name=~"re"`, `name!~"re"`.

The syntax is Alertmanager's own (`pkg/labels/parse.go`, as amtool and the UI accept it): a label
name, an operator and a value that may be double-quoted (OpenMetrics escapes `\\"`, `\\n`,
`\\\\` inside) or bare. A list may be comma-separated and wrapped in `{...}`. Regexes are fully
anchored, as Alertmanager compiles them (`^(?:re)$`), and a missing label matches as the empty
string, so `team!="ops"` matches an alert without a `team` label.

Parse errors are `ValueError`s whose message quotes the matcher and says what to fix; the config
validator shows them beside the file position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

LABEL_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# '=~' before '=' (and '!~' before '!='), otherwise '~' would become part of the value.
_MATCHER = re.compile(r"\s*(?P<name>[^=!~\s]*)\s*(?P<op>=~|!~|!=|=)\s*(?P<value>.*?)\s*", re.DOTALL)
_EXAMPLE = 'e.g. service="checkout" or severity=~"critical|page"'


class MatchType(StrEnum):
    """The four operators, spelled as in Alertmanager and PromQL."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher.

    Attributes:
        name: The label name.
        op: The operator.
        value: The unescaped value (a regex for `=~` and `!~`).
    """

    name: str
    op: MatchType
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not LABEL_NAME.fullmatch(self.name):
            raise ValueError(
                f"{self.name!r} is not a valid label name "
                "(letters, digits, _ and :, not starting with a digit)"
            )
        if self.op in (MatchType.REGEX, MatchType.NOT_REGEX) and self._regex is None:
            object.__setattr__(self, "_regex", compile_anchored(self.value))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an alert with these labels is selected (a missing label is the empty string)."""
        actual = labels.get(self.name, "")
        if self.op is MatchType.EQUAL:
            return actual == self.value
        if self.op is MatchType.NOT_EQUAL:
            return actual != self.value
        assert self._regex is not None
        found = self._regex.fullmatch(actual) is not None
        return found if self.op is MatchType.REGEX else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op}"{escaped}"'


def compile_anchored(pattern: str) -> re.Pattern[str]:
    """Compile a matcher regex; `fullmatch` anchors it at both ends as Alertmanager does."""
    try:
        return re.compile(f"(?:{pattern})")
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc


def parse_matcher(text: str) -> Matcher:
    """Parse one matcher such as `service="checkout"` or `severity=~critical|page`.

    Raises:
        ValueError: The text is not a matcher; the message quotes it and says what to fix.
    """
    match = _MATCHER.fullmatch(text)
    if match is None:
        raise ValueError(
            f"matcher {text.strip()!r}: expected a label name, an operator "
            f"(=, !=, =~ or !~) and a value, {_EXAMPLE}"
        )
    name, raw = match["name"], match["value"]
    if not name:
        raise ValueError(
            f"matcher {text.strip()!r}: the label name before {match['op']} is missing"
        )
    if not LABEL_NAME.fullmatch(name):
        raise ValueError(
            f"matcher {text.strip()!r}: {name!r} is not a valid label name "
            "(letters, digits, _ and :, not starting with a digit)"
        )
    if raw.startswith(("=", "~")):
        raise ValueError(
            f"matcher {text.strip()!r}: {match['op'] + raw[0]!r} is not an operator; "
            "use =, !=, =~ or !~"
        )
    try:
        value = _unquote(raw)
        return Matcher(name, MatchType(match["op"]), value)
    except ValueError as exc:
        raise ValueError(f"matcher {text.strip()!r}: {exc}") from exc


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """Parse a comma-separated list, optionally in braces: `{service="checkout", env!="dev"}`.

    Commas inside double quotes do not split. An empty list (`""` or `{}`) gives no matchers.

    Raises:
        ValueError: One matcher is malformed (the message names it).
    """
    body = text.strip()
    body = body.removeprefix("{").removesuffix("}")
    tokens: list[str] = []
    current: list[str] = []
    inside_quotes = escaped = False
    for char in body:
        if char == "," and not inside_quotes:
            tokens.append("".join(current))
            current = []
            continue
        if char == '"' and not escaped:
            inside_quotes = not inside_quotes
        escaped = char == "\\" and not escaped
        current.append(char)
    if inside_quotes:
        raise ValueError(f"matchers {text.strip()!r}: a double quote is not closed")
    tokens.append("".join(current))
    # A trailing comma is tolerated, as Alertmanager does; an empty token elsewhere is a typo.
    if tokens and not tokens[-1].strip():
        tokens.pop()
    for token in tokens:
        if not token.strip():
            raise ValueError(f"matchers {text.strip()!r}: an empty matcher between two commas")
    return tuple(parse_matcher(token) for token in tokens)


def parse_matcher_list(items: Iterable[str]) -> tuple[Matcher, ...]:
    """The matchers of a config list such as `['service="checkout"', 'severity=~"critical"']`."""
    return tuple(m for item in items for m in parse_matchers(item))


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """True when every matcher selects `labels` (no matchers select everything)."""
    return all(m.matches(labels) for m in matchers)


def _unquote(raw: str) -> str:
    """The value with surrounding quotes removed and OpenMetrics escapes resolved."""
    quoted = raw.startswith('"')
    if quoted:
        if len(raw) < 2 or not raw.endswith('"') or _ends_with_escaped_quote(raw):
            raise ValueError(f"the value {raw} has no closing double quote")
        raw = raw[1:-1]
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if char == '"':
            hint = 'escape it as \\"' if quoted else 'quote the whole value: name="..."'
            raise ValueError(
                f"the value contains an unescaped double quote at character {i + 1}; {hint}"
            )
        out.append(char)
        i += 1
    return "".join(out)


def _ends_with_escaped_quote(raw: str) -> bool:
    """`"abc\\"` ends with an escaped quote, not a closing one (count the backslashes)."""
    body = raw[1:-1]
    backslashes = len(body) - len(body.rstrip("\\"))
    return backslashes % 2 == 1
