"""Triage rules are data: a YAML rule file, validated strictly, merged over the defaults.

The default rules live in `config/triage-rules.yaml`. A user rule file has the same schema and
is merged over them (`load_ruleset(user_path)`):

- `replace_defaults: true` drops every default rule, test-name pattern and action first;
  the default scoring settings stay unless the user file overrides them.
- `disable: [id, ...]` removes default rules by id (naming an id that does not exist is an error,
  because a typo would otherwise silently keep the rule).
- A user rule whose `id` matches a default rule replaces it in place; new ids are appended.
- `actions` replaces the action template of each class it names; other classes keep theirs.
- `scoring` overrides only the settings it names.
- `test_names` patterns are appended to the defaults.

Every problem is reported at once as `file:line:col: rules.3.patterns.0: ...`, naming the rule
index and id, through `ConfigError` (exit code 2 in headless commands).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from cockpit.config.problems import Problem, dotted, summary
from cockpit.errors import ConfigError
from cockpit.triage.located import locate
from cockpit.triage.prefilter import combine

RULE_CLASSES = ("code", "flaky", "infra", "dependency", "permission")
"""The classes a rule can assign."""

CLASSES = (*RULE_CLASSES, "unknown")
"""Every class a triage can end in."""

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[2] / "config" / "triage-rules.yaml"

TEMPLATE_FIELDS = frozenset({"class", "commit", "sha", "author", "who", "rule", "test"})
"""Fields every action template may use; a rule's template may also use its named groups."""

FailureClass = Literal["code", "flaky", "infra", "dependency", "permission"]
ResultClass = Literal["code", "flaky", "infra", "dependency", "permission", "unknown"]


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        at = f" at position {exc.pos}" if exc.pos is not None else ""
        raise ValueError(f"bad regular expression: {exc.msg}{at}") from None
    return pattern


def _template_fields(template: str) -> set[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad action template: {exc} (write {{{{ and }}}} for braces)") from None
    names: set[str] = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"bad action template field {{{name}}}: use a plain {{name}}")
        names.add(name)
    return names


def _valid_template(template: str) -> str:
    unknown = _template_fields(template) - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(
            f"action template uses unknown field(s) {sorted(unknown)}; "
            f"known: {sorted(TEMPLATE_FIELDS)}"
        )
    return template


def _has_test_group(pattern: str) -> str:
    if "test" not in re.compile(pattern).groupindex:
        raise ValueError("a test-name pattern needs a named group (?P<test>...)")
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]
Template = Annotated[str, Field(min_length=1), AfterValidator(_valid_template)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RuleSpec(_Strict):
    """One rule: any of its patterns matching a log line is evidence for its class.

    Attributes:
        id: Stable name, used to replace or disable the rule from a user file.
        failure_class: The class (`class:` in YAML) this rule is evidence for.
        patterns: Regular expressions searched in each sanitised log line (timestamps removed).
        weight: How strongly one match points at the class (about 1 weak to 10 decisive).
        ignore_case: Match case-insensitively.
        anywhere: Score full weight wherever the match is, instead of less for earlier lines:
            for qualifiers (a known-flaky marker) rather than causes.
        action: An action template overriding the class's own, e.g.
            `"dependency: {package} cannot be resolved; check the pin"`, where `package` is a
            named group present in every pattern of the rule.
        description: What the signature means, for people reading the rule file.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)
    failure_class: FailureClass = Field(alias="class")
    patterns: list[Regex] = Field(min_length=1)
    weight: float = Field(default=5.0, gt=0, le=100)
    ignore_case: bool = False
    anywhere: bool = False
    action: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _check_action(self) -> RuleSpec:
        if self.action is None:
            return self
        groups = set.intersection(*(set(re.compile(p).groupindex) for p in self.patterns))
        unknown = _template_fields(self.action) - TEMPLATE_FIELDS - groups
        if unknown:
            raise ValueError(
                f"action uses {sorted(unknown)}, which is neither a template field "
                f"{sorted(TEMPLATE_FIELDS)} nor a named group of every pattern"
            )
        return self


class ScoringSpec(_Strict):
    """How matches become a verdict (see `cockpit.triage.classifier`)."""

    min_score: float = Field(default=2.0, ge=0, description="below this the class is unknown")
    recency_floor: float = Field(
        default=0.5, ge=0, le=1, description="factor for a match on the first line; 1 at the end"
    )
    corroboration: float = Field(
        default=0.25, ge=0, le=1, description="share of other matching rules added to the best"
    )
    max_evidence: int = Field(default=5, ge=1, le=50)


class RuleFileSpec(_Strict):
    """A whole rule file: the default one, or a user's override."""

    version: Literal[1] = 1
    replace_defaults: bool = False
    disable: list[str] = Field(default_factory=list)
    scoring: ScoringSpec | None = None
    actions: dict[ResultClass, Template] = Field(default_factory=dict)
    test_names: list[Annotated[Regex, AfterValidator(_has_test_group)]] = Field(
        default_factory=list
    )
    rules: list[RuleSpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule."""

    id: str
    failure_class: str
    patterns: tuple[re.Pattern[str], ...]
    weight: float
    anywhere: bool = False
    action: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The compiled, merged rules the classifier runs.

    Attributes:
        rules: In file order (defaults first, user additions after).
        actions: Action template per class.
        test_names: Patterns with a `test` group that name a failing test.
        scoring: Scoring settings.
        sources: The files merged, in order.
    """

    rules: tuple[Rule, ...]
    actions: Mapping[str, str] = field(default_factory=dict)
    test_names: tuple[re.Pattern[str], ...] = ()
    scoring: ScoringSpec = field(default_factory=ScoringSpec)
    sources: tuple[str, ...] = ()
    prefilter: re.Pattern[str] | None = None

    @classmethod
    def build(
        cls,
        rules: tuple[Rule, ...],
        *,
        actions: Mapping[str, str] | None = None,
        test_names: tuple[re.Pattern[str], ...] = (),
        scoring: ScoringSpec | None = None,
        sources: tuple[str, ...] = (),
    ) -> RuleSet:
        """A rule set with its prefilter: one regex that rejects lines no rule can match."""
        return cls(
            rules=rules,
            actions=dict(actions or {}),
            test_names=test_names,
            scoring=scoring or ScoringSpec(),
            sources=sources,
            prefilter=combine(pattern for rule in rules for pattern in rule.patterns),
        )

    def action_template(self, failure_class: str) -> str:
        """The class's action template, or a neutral one when no file defines it."""
        return self.actions.get(failure_class, f"{failure_class}: read the evidence")


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A validated rule file and where its keys are, for located merge errors."""

    spec: RuleFileSpec
    name: str
    root: yaml.Node | None = None

    def problem(self, path: Sequence[str | int], message: str, hint: str = "") -> Problem:
        line, col = locate(self.root, path)
        return Problem(self.name, line, col, dotted(path), message, hint)


def parse_rule_file(text: str, name: str) -> RuleFile:
    """Validate the YAML text of a rule file.

    Args:
        text: The file's contents.
        name: How to name the file in messages (usually its path).

    Raises:
        ConfigError: With every located problem in `problems`.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        problem = Problem(name, line, col, "", f"not valid YAML: {reason}")
        raise ConfigError(f"{name}: {problem.message}", [str(problem)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problem = Problem(name, 1, 1, "", "a rule file is a mapping with a `rules:` list")
        raise ConfigError(f"{name}: {problem.message}", [str(problem)])
    try:
        spec = RuleFileSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_from_error(name, root, data, err) for err in exc.errors()]
        _raise(name, sorted(problems))
    rule_file = RuleFile(spec, name, root)
    problems = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(spec.rules):
        if rule.id in seen:
            problems.append(
                rule_file.problem(
                    ("rules", index, "id"),
                    f"rule #{index} repeats id {rule.id!r} of rule #{seen[rule.id]}",
                    "ids must be unique within a file",
                )
            )
        seen.setdefault(rule.id, index)
    if problems:
        _raise(name, problems)
    return rule_file


def load_rule_file(path: str | Path) -> RuleFile:
    """Read and validate one rule file (see `parse_rule_file`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(str(path), 1, 1, "", f"cannot read the rule file: {exc}")
        raise ConfigError(str(problem), [str(problem)]) from None
    return parse_rule_file(text, str(path))


def merge(base: RuleFile, *overrides: RuleFile) -> RuleSet:
    """Compile `base` with each override merged over it (the merge rule is in the module doc).

    Raises:
        ConfigError: An override disables a rule id that is not there.
    """
    rules: dict[str, RuleSpec] = {rule.id: rule for rule in base.spec.rules}
    actions: dict[str, str] = {str(cls): text for cls, text in base.spec.actions.items()}
    test_names = list(base.spec.test_names)
    scoring = base.spec.scoring or ScoringSpec()
    for override in overrides:
        spec = override.spec
        if spec.replace_defaults:
            rules, actions, test_names = {}, {}, []
        problems = []
        for index, rule_id in enumerate(spec.disable):
            if rules.pop(rule_id, None) is None:
                problems.append(
                    override.problem(
                        ("disable", index),
                        f"there is no rule {rule_id!r} to disable",
                        "check the id against the default rule file",
                    )
                )
        if problems:
            _raise(override.name, problems)
        for rule in spec.rules:
            rules[rule.id] = rule  # same id: replaced in place; new id: appended
        actions.update((str(cls), text) for cls, text in spec.actions.items())
        test_names.extend(spec.test_names)
        if spec.scoring is not None:
            scoring = scoring.model_copy(
                update={key: getattr(spec.scoring, key) for key in spec.scoring.model_fields_set}
            )
    return RuleSet.build(
        tuple(_compile(rule) for rule in rules.values()),
        actions=actions,
        test_names=tuple(re.compile(pattern) for pattern in test_names),
        scoring=scoring,
        sources=(base.name, *(override.name for override in overrides)),
    )


def load_ruleset(
    user_path: str | Path | None = None, *, defaults_path: str | Path = DEFAULT_RULES_PATH
) -> RuleSet:
    """The default rules, with the user's rule file (if any) merged over them.

    Raises:
        ConfigError: Either file is missing, not YAML, or invalid; problems are located.
    """
    base = load_rule_file(defaults_path)
    if user_path is None:
        return merge(base)
    return merge(base, load_rule_file(user_path))


_DEFAULT: list[RuleSet] = []


def default_ruleset() -> RuleSet:
    """The default rules, loaded once per process."""
    if not _DEFAULT:
        _DEFAULT.append(load_ruleset())
    return _DEFAULT[0]


def _compile(rule: RuleSpec) -> Rule:
    flags = re.IGNORECASE if rule.ignore_case else 0
    return Rule(
        id=rule.id,
        failure_class=rule.failure_class,
        patterns=tuple(re.compile(pattern, flags) for pattern in rule.patterns),
        weight=rule.weight,
        anywhere=rule.anywhere,
        action=rule.action,
        description=rule.description,
    )


def _raise(name: str, problems: list[Problem]) -> Any:
    raise ConfigError(f"{name}: {summary(problems)}", [str(p) for p in problems])


def _problem_from_error(name: str, root: yaml.Node | None, data: Any, error: Any) -> Problem:
    path: tuple[str | int, ...] = tuple(error["loc"])
    line, col = locate(root, path, at_key=error["type"] == "extra_forbidden")
    message = str(error["msg"]).removeprefix("Value error, ")
    hint = ""
    if error["type"] == "extra_forbidden":
        message = f"unknown key {path[-1]!r}"
        hint = _known_keys(path)
    elif error["type"] == "missing":
        message = f"missing required key {path[-1]!r}"
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rule = data["rules"][path[1]] if isinstance(data.get("rules"), list) else None
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        label = f"rule #{path[1]}" + (f" ({rule_id!r})" if isinstance(rule_id, str) else "")
        message = f"{label}: {message}"
    return Problem(name, line, col, dotted(path), message, hint)


def _known_keys(path: Sequence[str | int]) -> str:
    model: type[BaseModel] = RuleFileSpec
    if len(path) >= 3 and path[0] == "rules":
        model = RuleSpec
    elif len(path) >= 2 and path[0] == "scoring":
        model = ScoringSpec
    keys = [info.alias or key for key, info in model.model_fields.items()]
    return "known keys: " + ", ".join(keys)
