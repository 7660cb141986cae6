"""Failure triage: classify a failed CI job from its log tail and run history.

Public API:
    classify: log tail (+ history, commit, author) -> `Triage(class, evidence, action)`.
    analyse: the same, with every score and match (`Analysis`).
    read_tail / tail_text: read a bounded tail of a log and make its lines display-safe.
    RunHistory / RunRecord: a job's finished runs, for flaky detection.
    load_ruleset / default_ruleset / RuleSet: the rules, from `config/triage-rules.yaml`
        with an optional user rule file merged over them.
"""

from __future__ import annotations

from cockpit.triage.classifier import Analysis, Match, analyse, classify
from cockpit.triage.history import FlakyFinding, RunHistory, RunRecord
from cockpit.triage.rules import (
    CLASSES,
    DEFAULT_RULES_PATH,
    RULE_CLASSES,
    Rule,
    RuleSet,
    default_ruleset,
    load_rule_file,
    load_ruleset,
    merge,
    parse_rule_file,
)
from cockpit.triage.tail import DEFAULT_TAIL_BYTES, clip_tail, read_tail, tail_text

__all__ = [
    "CLASSES",
    "DEFAULT_RULES_PATH",
    "DEFAULT_TAIL_BYTES",
    "RULE_CLASSES",
    "Analysis",
    "FlakyFinding",
    "Match",
    "Rule",
    "RuleSet",
    "RunHistory",
    "RunRecord",
    "analyse",
    "classify",
    "clip_tail",
    "default_ruleset",
    "load_rule_file",
    "load_ruleset",
    "merge",
    "parse_rule_file",
    "read_tail",
    "tail_text",
]
