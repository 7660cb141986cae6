"""Load and check config files: every problem at once, each located as `file:line:col`.

The YAML is composed into a node tree first (SafeLoader), so every key and value keeps its
line and column; duplicate keys, which PyYAML silently accepts, are found there. The data is
then validated by the pydantic models, and the errors are rewritten into plain English and
pointed at the nearest mark. Cross-references (services naming sources, gates naming services,
kinds that fit their use) are checked on every part that parsed, so one mistake never hides
another.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

from cockpit.config.gate_checks import gate_reference_problems, triage_rules_problems
from cockpit.config.models import (
    SOURCE_KINDS,
    AlertsQuietGate,
    ApprovalsGate,
    ArtifactPresentGate,
    ArtifactSignedGate,
    ArtifactTarget,
    CiGreenGate,
    CiTarget,
    Config,
    ErrorBudgetGate,
    Gate,
    RolloutTarget,
    SourceLog,
    TicketLinkedGate,
)
from cockpit.config.problems import (
    INLINE_SECRET,
    INLINE_SECRET_HINT,
    Finding,
    Loc,
    Problem,
    did_you_mean,
    dotted,
    findings,
    summary,
)
from cockpit.config.secrets import looks_like_token
from cockpit.errors import ConfigError

_MarkPath = tuple[str, ...]
_INIT_HINT = "run `cockpit init` to write a commented starter config"
_CI_KINDS = ("github", "gitlab", "jenkins")
_CI_FIELDS = {"repo": "github", "project": "gitlab", "job": "jenkins"}
_LABELS = {"github": "GitHub", "gitlab": "GitLab", "jenkins": "Jenkins"}
_T = TypeVar("_T")
_GATE_ADAPTER: TypeAdapter[Any] = TypeAdapter(Gate)
_CI = TypeAdapter(CiTarget)
_ARTIFACT = TypeAdapter(ArtifactTarget)
_ROLLOUT = TypeAdapter(RolloutTarget)
_SOURCE_LOG = TypeAdapter(SourceLog)


def check_config_text(text: str, filename: str) -> tuple[Config | None, list[Problem]]:
    """Parse and check one config text.

    Args:
        text: The YAML text.
        filename: How to name the file in problems.

    Returns:
        The config (None when there is any problem) and every problem, in file order.
    """
    parsed = _parse(text, filename)
    if parsed.marks is None:
        return None, parsed.problems
    problems = list(parsed.problems)
    if not isinstance(parsed.data, dict):
        line, col = parsed.marks.locate((), "value")
        got = "a list" if isinstance(parsed.data, list) else "a single value"
        message = (
            f"the top level must be a mapping of settings (environment, sources, ...), got {got}"
        )
        return None, [*problems, Problem(filename, line, col, "", message, _INIT_HINT)]
    config: Config | None = None
    found: list[Finding] = []
    try:
        config = Config.model_validate(parsed.data)
    except ValidationError as exc:
        found += findings(exc, parsed.data)
    found += cross_check(parsed.data, parsed.marks.line_of)
    gates = [
        (i, g)
        for i, raw in enumerate(_items(parsed.data, "gates"))
        if (g := _parsed(_GATE_ADAPTER, raw))
    ]
    marks = parsed.marks

    def locate_value(path: tuple[str | int, ...]) -> tuple[int, int]:
        return marks.locate(path, "value")

    problems += gate_reference_problems(gates, filename, locate_value)
    triage = parsed.data.get("triage")
    rules = triage.get("rules") if isinstance(triage, dict) else None
    if isinstance(rules, str):
        problems += triage_rules_problems(rules, filename, locate_value)
    for finding in found:
        line, col = parsed.marks.locate(finding.path, finding.anchor)
        key_path = dotted(finding.path)
        problems.append(Problem(filename, line, col, key_path, finding.message, finding.hint))
    problems = sorted(dict.fromkeys(problems))
    return (config if not problems else None), problems


def read_config_text(path: str | os.PathLike[str]) -> tuple[str | None, list[Problem]]:
    """The file's text, or a file-level problem (not found, unreadable, not UTF-8)."""
    name = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Problem(name, 1, 1, "", "file not found", f"check the path, or {_INIT_HINT}")]
    except IsADirectoryError:
        return None, [Problem(name, 1, 1, "", "is a directory, not a config file")]
    except PermissionError:
        return None, [Problem(name, 1, 1, "", "cannot read the file: permission denied")]
    except OSError as exc:
        return None, [Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        message = f"not UTF-8 text (byte 0x{raw[exc.start]:02x})"
        return None, [Problem(name, line, col, "", message, "save the file as UTF-8")]


def check_config_file(path: str | os.PathLike[str]) -> tuple[Config | None, list[Problem]]:
    """`check_config_text` on a file, with file-level problems for unreadable files."""
    text, problems = read_config_text(path)
    if text is None:
        return None, problems
    return check_config_text(text, os.fspath(path))


def validate_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """Every problem in every file, in the order given (never only the first)."""
    problems: list[Problem] = []
    for path in paths:
        problems += check_config_file(path)[1]
    return problems


def load_config(path: str | os.PathLike[str]) -> Config:
    """The checked config of one file.

    Raises:
        ConfigError: with every problem as a `file:line:col: ...` string in `problems`.
    """
    config, problems = check_config_file(path)
    if config is None:
        raise ConfigError(
            f"the config {os.fspath(path)} has {summary(problems).split(' in ')[0]}",
            problems=[str(p) for p in problems],
            hint=f"fix them, then check again with `cockpit validate {os.fspath(path)}`",
        )
    return config


# -- YAML with marks ----------------------------------------------------------------------------


@dataclass
class _Marks:
    keys: dict[_MarkPath, yaml.Mark] = field(default_factory=dict)
    values: dict[_MarkPath, yaml.Mark] = field(default_factory=dict)

    def locate(self, path: Loc, anchor: str) -> tuple[int, int]:
        """1-based (line, col) of the value (or key) at `path`, else of its nearest ancestor."""
        key = tuple(str(part) for part in path)
        if anchor == "parent" and key:
            key, anchor = key[:-1], "key"
        mark = self.keys.get(key) if anchor == "key" else None
        while mark is None:
            mark = self.values.get(key)
            key = key[:-1]
        return mark.line + 1, mark.column + 1

    def line_of(self, path: Loc) -> int:
        return self.locate(path, "value")[0]


@dataclass
class _Parsed:
    data: Any = None
    marks: _Marks | None = None
    problems: list[Problem] = field(default_factory=list)


def _parse(text: str, filename: str) -> _Parsed:
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return _Parsed(problems=[Problem(filename, 1, 1, "", "the file is empty", _INIT_HINT)])
        parsed = _Parsed(marks=_Marks())
        _index(node, (), parsed, filename, set())
        parsed.data = loader.construct_document(node)
        return parsed
    except yaml.MarkedYAMLError as exc:
        return _Parsed(problems=[_yaml_problem(exc, filename)])
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: character #x{code:04x} is not allowed"
        return _Parsed(problems=[Problem(filename, line, col, "", message)])
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
        return _Parsed(
            problems=[Problem(filename, 1, 1, "", f"invalid YAML: {type(exc).__name__}")]
        )
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_problem(exc: yaml.MarkedYAMLError, filename: str) -> Problem:
    # Built from `problem` and `context` only: str(exc) quotes the source line, which may hold
    # a secret someone pasted into the file.
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "the YAML cannot be read"
    hint = ""
    if exc.context and problem.startswith("but "):  # "expected a single document ... but found"
        problem = f"{exc.context} {problem}"
        if exc.context_mark:
            hint = f"the first started at line {exc.context_mark.line + 1}"
    elif exc.context and exc.context_mark:
        hint = f"{exc.context}, which started at line {exc.context_mark.line + 1}"
    elif exc.context:
        hint = exc.context
    if "'\\t'" in problem:
        hint = "indent with spaces: YAML does not allow tabs"
    return Problem(filename, line, col, "", f"invalid YAML: {problem}", hint)


def _index(node: yaml.Node, path: _MarkPath, out: _Parsed, filename: str, seen: set[int]) -> None:
    """Record the mark of every key and value, and report duplicate keys."""
    assert out.marks is not None
    out.marks.values.setdefault(path, node.start_mark)
    if id(node) in seen:  # a recursive alias: marked once, never walked forever
        return
    seen = seen | {id(node)}
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            name, mark = str(key_node.value), key_node.start_mark
            if name in first:
                hint = f"first at line {first[name].line + 1}; YAML would keep only the last one"
                where = dotted((*path, name))
                line, col = mark.line + 1, mark.column + 1
                message = f"duplicate key `{name}`"
                out.problems.append(Problem(filename, line, col, where, message, hint))
            else:
                first[name] = mark
            out.marks.keys.setdefault((*path, name), mark)
            _index(value_node, (*path, name), out, filename, seen)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            _index(item, (*path, str(number)), out, filename, seen)


# -- cross-references -------------------------------------------------------------------------


def cross_check(data: dict[str, Any], line_of: Callable[[Loc], int]) -> list[Finding]:
    """Names that must match and kinds that must fit, on every service and gate that parsed."""
    raw_sources = data.get("sources")
    sources = raw_sources if isinstance(raw_sources, dict) else {}
    kinds: dict[str, str | None] = {}
    for name, source in sources.items():
        kind = source.get("kind") if isinstance(source, dict) else None
        kinds[str(name)] = kind if kind in SOURCE_KINDS else None
    found = _pasted_tokens(sources)
    services: dict[str, dict[str, Any]] = {}
    first_at: dict[str, int] = {}
    for i, raw in enumerate(_items(data, "services")):
        if not isinstance(raw, dict):
            continue
        name = raw.get("name")
        if isinstance(name, str) and name in first_at:
            at = line_of(("services", first_at[name], "name"))
            hint = f"the first is at line {at}; service names must be unique"
            found.append(Finding(("services", i, "name"), f"duplicate service name `{name}`", hint))
        elif isinstance(name, str):
            first_at[name] = i
            services[name] = raw
        found += _service_refs(i, raw, kinds)
    for i, raw in enumerate(_items(data, "gates")):
        gate = _parsed(_GATE_ADAPTER, raw)
        if gate is not None:
            found += _gate_refs(i, gate, kinds, services)
    return found


def _pasted_tokens(sources: dict[Any, Any]) -> list[Finding]:
    """`{env: ghp_...}` validates (it is a legal name) but is a token: an inline secret."""
    found: list[Finding] = []
    for name, source in sources.items():
        for field_name in ("token", "user"):
            ref = source.get(field_name) if isinstance(source, dict) else None
            for key in ("env", "keyring"):
                text = ref.get(key) if isinstance(ref, dict) else None
                if isinstance(text, str) and looks_like_token(text):
                    path = ("sources", name, field_name, key)
                    found.append(Finding(path, INLINE_SECRET, INLINE_SECRET_HINT))
    return found


def _items(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _parsed(adapter: TypeAdapter[_T], raw: Any) -> _T | None:
    """The part as its model, or None when it has problems of its own (reported elsewhere)."""
    try:
        return adapter.validate_python(raw)
    except ValidationError:
        return None


def _source_ref(
    path: Loc, name: str, kinds: dict[str, str | None], allowed: tuple[str, ...], use: str
) -> Finding | None:
    if name not in kinds:
        close = did_you_mean(name, list(kinds))
        hint = f"did you mean `{close}`? " if close else ""
        hint += f"defined sources: {', '.join(kinds)}" if kinds else "add it under `sources`"
        return Finding(path, f"source `{name}` is not defined in `sources`", hint)
    kind = kinds[name]
    if kind is None or kind in allowed:
        return None
    fitting = _either([f"`{n}`" for n, k in kinds.items() if k in allowed])
    hint = f"{fitting} would fit" if fitting else ""
    needs = _either(list(allowed))
    message = f"{use} needs {_a(needs)} {needs} source; `{name}` is {_a(kind)} {kind} source"
    return Finding(path, message, hint)


def _either(words: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _a(word: str) -> str:
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"


def _service_refs(i: int, raw: dict[str, Any], kinds: dict[str, str | None]) -> list[Finding]:
    at: Loc = ("services", i)
    refs: list[Finding | None] = []
    ci = _parsed(_CI, raw.get("ci"))
    if ci is not None:
        wrong = _source_ref((*at, "ci", "source"), ci.source, kinds, _CI_KINDS, "ci")
        refs.append(wrong)
        kind = kinds.get(ci.source)
        for key, fits in _CI_FIELDS.items():
            if wrong is None and kind in _CI_FIELDS.values() and getattr(ci, key) and kind != fits:
                right = next(k for k, v in _CI_FIELDS.items() if v == kind)
                message = (
                    f"`{key}` is for {_LABELS[fits]} sources; `{ci.source}` is a {kind} source"
                )
                hint = f"use `{right}` with a {kind} source"
                refs.append(Finding((*at, "ci", key), message, hint, anchor="key"))
    if (artifact := _parsed(_ARTIFACT, raw.get("artifact"))) is not None:
        path = (*at, "artifact", "source")
        refs.append(_source_ref(path, artifact.source, kinds, ("oci-registry",), "artifact"))
    if (rollout := _parsed(_ROLLOUT, raw.get("rollout"))) is not None:
        path = (*at, "rollout", "source")
        refs.append(_source_ref(path, rollout.source, kinds, ("kubernetes",), "rollout"))
    logs = raw.get("logs")
    for j, item in enumerate(logs if isinstance(logs, list) else []):
        if (log := _parsed(_SOURCE_LOG, item)) is not None:
            path = (*at, "logs", j, "source")
            refs.append(_source_ref(path, log.source, kinds, ("loki",), "a source log"))
    return [ref for ref in refs if ref is not None]


def _gate_refs(
    i: int, gate: Any, kinds: dict[str, str | None], services: dict[str, dict[str, Any]]
) -> list[Finding]:
    at: Loc = ("gates", i)
    refs: list[Finding | None] = []
    service_name: str | None = getattr(gate, "service", None)
    if service_name is not None and service_name not in services:
        close = did_you_mean(service_name, list(services))
        hint = f"did you mean `{close}`? " if close else ""
        hint += (
            f"defined services: {', '.join(services)}" if services else "add it under `services`"
        )
        refs.append(Finding((*at, "service"), f"service `{service_name}` is not defined", hint))
    elif service_name is not None:
        needs = "ci" if isinstance(gate, CiGreenGate | ApprovalsGate) else None
        if isinstance(gate, ArtifactPresentGate | ArtifactSignedGate):
            needs = "artifact"
        if needs and services[service_name].get(needs) is None:
            message = f"service `{service_name}` has no `{needs}`, so this gate can never pass"
            hint = f"add `{needs}:` to the service, or remove the gate"
            refs.append(Finding((*at, "service"), message, hint))
    if isinstance(gate, TicketLinkedGate):
        try:
            re.compile(gate.pattern)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            message = f"not a valid regular expression: {exc.msg}{where}"
            refs.append(Finding((*at, "pattern"), message))
    if isinstance(gate, ErrorBudgetGate):
        refs.append(_source_ref((*at, "source"), gate.source, kinds, ("prometheus",), gate.kind))
        if gate.min is not None and gate.max is not None and gate.min > gate.max:
            message = f"`min` ({gate.min:g}) is greater than `max` ({gate.max:g}): nothing can pass"
            refs.append(Finding((*at, "min"), message, "swap them or fix one", anchor="key"))
    if isinstance(gate, AlertsQuietGate):
        refs.append(_source_ref((*at, "source"), gate.source, kinds, ("alertmanager",), gate.kind))
    return [ref for ref in refs if ref is not None]
