"""Located config problems, and pydantic's validation errors rewritten into plain English.

A `Problem` prints as `file:line:col: key.path: what is wrong (hint)`. `findings()` turns a
pydantic `ValidationError` into `Finding`s (a key path, where on it to point, a message and a
hint); the loader turns those into `Problem`s with the YAML marks. No message ever contains the
value of a secret field: inputs are echoed only when they are short, plain identifiers outside
secret references.
"""

from __future__ import annotations

import datetime
import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cockpit.config.models import CommandLog, Config, EnvRef, FileLog, KeyringRef, SourceLog
from cockpit.text import sanitize

Loc = tuple[str | int, ...]
Anchor = Literal["value", "key", "parent"]

INLINE_SECRET = "inline secret: secrets are never written in the config"
INLINE_SECRET_HINT = (
    "store it with `cockpit secret set NAME` and write {keyring: cockpit/NAME}, or use {env: VAR}"
)
_SECRET_UNION = frozenset({KeyringRef.__name__, EnvRef.__name__})
_UNION_WORDS = {
    _SECRET_UNION: "a secret reference: {keyring: cockpit/NAME} or {env: VAR}",
    frozenset({SourceLog.__name__, FileLog.__name__, CommandLog.__name__}): (
        "a log: {source: NAME, query: QUERY}, {file: PATH} or {command: [PROGRAM, ARG, ...]}"
    ),
}
_PATTERN_WORDS = {
    ("KeyringRef", "keyring"): "expected SERVICE/NAME, such as cockpit/gh",
    ("EnvRef", "env"): "expected an environment variable name (letters, digits and _)",
    ("CiTarget", "repo"): "expected a GitHub repository as OWNER/NAME, such as acme/checkout",
}
_TYPE_WORDS = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value)",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "greater than")}
_BOUNDS |= {"less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
_SAFE_ECHO = re.compile(r"^[\w .:/@+=~-]{1,40}$")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a config file, located so an editor can jump to it.

    Attributes:
        file: The file as the user named it.
        line: 1-based line.
        col: 1-based column.
        key_path: Dotted key path such as `sources.gh.token` (list items by index:
            `services.0.ci`); empty for file-level problems.
        message: What is wrong, in plain English. Never contains a secret value.
        hint: What to do about it (may be empty).
    """

    file: str
    line: int
    col: int
    key_path: str = ""
    message: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}: "
        if self.key_path:
            where += f"{self.key_path}: "
        # Keys and values come from the file: no escape sequence of theirs reaches a terminal.
        return sanitize(where + self.message + (f" ({self.hint})" if self.hint else ""))


@dataclass(frozen=True)
class Finding:
    """A problem before it is located: the loader maps `path` + `anchor` to a YAML mark.

    Attributes:
        path: Key path in the data (mapping keys and list indexes).
        message: What is wrong.
        hint: What to do.
        anchor: Point at the value at `path`, its key, or (for a missing key) its parent.
        suggests: For an unknown key, the field it probably meant (a typo).
    """

    path: Loc
    message: str
    hint: str = ""
    anchor: Anchor = "value"
    suggests: str = ""


def dotted(path: Sequence[str | int]) -> str:
    """`("sources", "gh", "token")` -> `sources.gh.token`; list indexes are kept as numbers."""
    return ".".join(str(part) for part in path)


def summary(problems: Sequence[Problem]) -> str:
    """`3 problems in 2 files`, counting only the files that have problems."""
    files = len({p.file for p in problems})
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{len(problems)} {noun} in {files} file{'' if files == 1 else 's'}"


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """The closest option to a likely typo, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else ""


def echo(value: object) -> str | None:
    """The value, if it is safe and short enough to quote in a message (an identifier, a path)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if _SAFE_ECHO.match(text) and "`" not in text else None


def kind_of(value: object) -> str:
    """`a string`, `a list`, ...: what the user wrote, without quoting it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text" if value else "empty text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, dict):
        keys = ", ".join(f"`{k}`" for k in value if echo(k) is not None)
        return f"a mapping with keys {keys}" if keys else "a mapping"
    return type(value).__name__


# -- walking pydantic's error locations through the model types --------------------------------


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_members(tp: Any) -> list[type[BaseModel]] | None:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    return [m for m in typing.get_args(_unwrap(tp)) if _is_model(m)]


def _pick(members: list[type[BaseModel]], tag: str) -> type[BaseModel] | None:
    for member in members:
        kind = member.model_fields.get("kind")
        literals = typing.get_args(_unwrap(kind.annotation)) if kind else ()
        if tag == member.__name__ or tag in literals:
            return member
    return None


@dataclass(frozen=True)
class _Walk:
    path: Loc
    owner: type[BaseModel] | None  # the model that holds the last key of `path`
    target: Any  # the type expected at `path`
    union: tuple[Loc, str, frozenset[str]] | None  # (path, chosen member, all members)


def _walk(loc: Loc) -> _Walk:
    tp: Any = Config
    path: list[str | int] = []
    owner: type[BaseModel] | None = None
    union: tuple[Loc, str, frozenset[str]] | None = None
    for elem in loc:
        tp = _unwrap(tp)
        members = _union_members(tp)
        if members is not None and isinstance(elem, str):
            chosen = _pick(members, elem)
            union = (tuple(path), chosen.__name__ if chosen else elem, _names(members))
            tp = chosen
            continue
        if elem == "[key]":
            continue
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if _is_model(tp):
            owner = tp
            field = tp.model_fields.get(str(elem))
            tp = field.annotation if field else None
        elif origin is tuple and args:
            tp = args[0]
        elif origin is dict and args:
            tp = args[1]
        else:
            tp = None
        path.append(elem)
    return _Walk(tuple(path), owner, _unwrap(tp), union)


def _names(members: list[type[BaseModel]]) -> frozenset[str]:
    return frozenset(m.__name__ for m in members)


def data_at(data: Any, path: Loc) -> Any:
    """The raw value at `path`, or None when the path does not exist."""
    for part in path:
        if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
            continue
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


# -- one error, in plain English ----------------------------------------------------------------


def _describe(err: ErrorDetails, walk: _Walk, data: Any, in_secret: bool) -> Finding:
    etype, ctx, value = err["type"], err.get("ctx") or {}, err["input"]
    path, owner, target = walk.path, walk.owner, walk.target
    field = str(path[-1]) if path else ""
    if etype == "invalid_key" or err["loc"][-1:] == ("[key]",):
        hint = "put the key in quotes"
        message = f"the key `{field}` is read as a number or true/false; keys must be text"
        return Finding(path, message, hint, anchor="key")
    if etype == "missing":
        return Finding(path, f"missing required key `{field}`", anchor="parent")
    if etype == "extra_forbidden":
        allowed = list(owner.model_fields) if owner else []
        close = did_you_mean(field, allowed)
        hint = f"did you mean `{close}`?" if close else f"allowed keys: {', '.join(allowed)}"
        return Finding(path, f"unknown key `{field}`", hint, anchor="key", suggests=close)
    if etype == "literal_error":
        return _literal(path, owner, target, None if in_secret else value)
    if etype in ("model_type", "model_attributes_type") and _is_model(target):
        keys = ", ".join(f"`{k}`" for k in target.model_fields)
        return Finding(path, f"expected a mapping with keys {keys}, got {kind_of(value)}")
    if etype in ("model_type", "model_attributes_type", "dict_type") and _tags(target):
        example = f"{{kind: {_tags(target)[0]}, ...}}"
        return Finding(path, f"expected a mapping such as {example}, got {kind_of(value)}")
    if etype == "int_from_float":
        return Finding(path, "expected a whole number, got a fraction")
    if etype in _TYPE_WORDS:
        expected = f"{_TYPE_WORDS[etype]}, got {kind_of(value)}"
        return Finding(path, expected, _type_hint(etype, value))
    if etype == "string_pattern_mismatch":
        form = _PATTERN_WORDS.get((owner.__name__ if owner else "", field))
        return Finding(path, form or f"does not match the pattern `{ctx.get('pattern')}`")
    if etype == "string_too_short":
        return Finding(path, "must not be empty")
    if etype == "too_short":
        count = ctx.get("min_length", 1)
        return Finding(path, f"needs at least {count} item{'' if count == 1 else 's'}")
    if etype in _BOUNDS:
        key, words = _BOUNDS[etype]
        return Finding(path, f"must be {words} {ctx.get(key)}")
    if etype == "value_error":
        return _value_error(path, target, str(ctx.get("error", err["msg"])), data)
    if etype == "union_tag_invalid":
        return _literal(path, owner, target, ctx.get("tag"), anchor_key="kind", data=data)
    if etype == "union_tag_not_found":
        kinds = ", ".join(_tags(target))
        return Finding(path, f"missing `kind`: use one of {kinds}", anchor="value")
    message = err["msg"].replace("Input should be", "expected")
    message = re.sub(r"(a valid )?dictionary or instance of \w+", "a mapping", message)
    return Finding(path, re.sub(r"\s*(\[.*|https?://\S+)$", "", message))


def _type_hint(etype: str, value: object) -> str:
    if etype != "string_type":
        return ""
    if isinstance(value, dict):
        return 'YAML reads {...} as a mapping: put the value in quotes, such as "{release.ref}"'
    if isinstance(value, bool | int | float | datetime.date):
        return "YAML read this as a number, date or true/false: put it in quotes"
    return ""


def _tags(target: Any) -> list[str]:
    tags: list[str] = []
    for member in _union_members(target) or []:
        kind = member.model_fields.get("kind")
        tags += [str(t) for t in typing.get_args(_unwrap(kind.annotation))] if kind else []
    return tags


def _literal(
    path: Loc,
    owner: type[BaseModel] | None,
    target: Any,
    value: object,
    anchor_key: str = "",
    data: Any = None,
) -> Finding:
    options = _tags(target) if anchor_key else [str(a) for a in typing.get_args(target)]
    what = "value"
    if anchor_key:  # a discriminated union (gates): point at the `kind` value itself
        what = "gate kind" if path and path[0] == "gates" else "kind"
        if isinstance(data_at(data, path), dict):
            path = (*path, anchor_key)
    elif path and path[-1] == "kind" and owner is not None:
        what = f"{owner.__name__.lower().removesuffix('target')} kind"
    elif path:
        what = str(path[-1])
    shown = echo(value)
    listed = ", ".join(options)
    if shown is None:
        return Finding(path, f"expected a {what}: one of {listed}, got {kind_of(value)}")
    close = did_you_mean(shown, options)
    hint = f"did you mean `{close}`?" if close else ""
    return Finding(path, f"unknown {what} `{shown}`: use one of {listed}", hint)


def _value_error(path: Loc, target: Any, message: str, data: Any) -> Finding:
    message = message.removeprefix("Value error, ")
    here = data_at(data, path)
    if _is_model(target) and isinstance(here, dict):
        # A model-level check: point at the field it names, when the file has that field.
        first = message.split(" ", 1)[0].strip("`")
        named = [first, *re.findall(r"`(\w+)`", message)]
        for name in named:
            if name in here and name in target.model_fields:
                return Finding((*path, name), message)
        return Finding(path, message, anchor="key")
    return Finding(path, message)


# -- all errors, unions collapsed ------------------------------------------------------------


def findings(exc: ValidationError, data: Any) -> list[Finding]:
    """Every error of `exc` as a plain-English `Finding`, one per mistake.

    Union members are collapsed: of the alternatives (a secret is `{keyring}` or `{env}`, a log
    is `{source, query}`, `{file}` or `{command}`) the one with the fewest problems speaks; when
    none stands out, one message lists the alternatives. A secret union given a plain value is
    one "inline secret" problem. An unknown key that is a typo of a missing key is one problem.
    """
    plain: list[Finding] = []
    groups: dict[Loc, dict[str, list[tuple[ErrorDetails, _Walk]]]] = {}
    union_names: dict[Loc, frozenset[str]] = {}
    for err in exc.errors(include_url=False):
        walk = _walk(tuple(err["loc"]))
        if walk.union is None:
            plain.append(_describe(err, walk, data, in_secret=False))
            continue
        where, member, members = walk.union
        groups.setdefault(where, {}).setdefault(member, []).append((err, walk))
        union_names[where] = members
    for where, by_member in groups.items():
        plain += _collapse(where, by_member, union_names[where], data)
    return _drop_typo_twins(plain)


def _collapse(
    where: Loc,
    by_member: dict[str, list[tuple[ErrorDetails, _Walk]]],
    members: frozenset[str],
    data: Any,
) -> list[Finding]:
    secret = members == _SECRET_UNION
    value = data_at(data, where)
    if secret and isinstance(value, str | int | float) and not isinstance(value, bool):
        return [Finding(where, INLINE_SECRET, INLINE_SECRET_HINT)]
    if secret and isinstance(value, dict):
        # Keys that are not `keyring`/`env` (nor a typo of them) may be the secret itself:
        # `token: {ghp_...}` is a mapping whose only key is the token. Never quote them.
        known = ("keyring", "env")
        strangers = [k for k in value if str(k).lower() not in known and not did_you_mean(k, known)]
        if any(value[k] is None for k in strangers):
            return [Finding(where, INLINE_SECRET, INLINE_SECRET_HINT)]
        if strangers:
            words = _UNION_WORDS[_SECRET_UNION]
            return [Finding(where, f"expected {words}, got a mapping with other keys")]
    options = {
        member: _drop_typo_twins([_describe(e, w, data, in_secret=secret) for e, w in errors])
        for member, errors in by_member.items()
    }
    fewest = min(len(found) for found in options.values())
    best = [found for found in options.values() if len(found) == fewest]
    if len(best) == 1:
        return best[0]
    words = _UNION_WORDS.get(members, "one of " + ", ".join(sorted(members)))
    return [Finding(where, f"expected {words}, got {kind_of(value)}")]


def _drop_typo_twins(found: list[Finding]) -> list[Finding]:
    typos = {(f.path[:-1], f.suggests) for f in found if f.suggests}
    return [
        f
        for f in found
        if not (f.anchor == "parent" and f.path and (f.path[:-1], str(f.path[-1])) in typos)
    ]
