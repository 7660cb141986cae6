"""The files the project ships: the full example config and the generated JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from cockpit.config.loader import check_config_file
from cockpit.config.models import SOURCE_KINDS, Config, json_schema

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config" / "example.yaml"
SCHEMA = ROOT / "config" / "schema.json"


def test_the_example_config_validates_with_zero_problems() -> None:
    config, problems = check_config_file(EXAMPLE)
    assert [str(p) for p in problems] == []
    assert config is not None
    assert config.is_production


def test_the_example_shows_every_top_level_key_and_every_polled_kind() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    assert set(data) == set(Config.model_fields)
    kinds = {source["kind"] for source in data["sources"].values()}
    assert kinds == set(SOURCE_KINDS) - {"grafana", "datadog", "webhook"}
    gate_kinds = {gate["kind"] for gate in data["gates"]}
    assert len(gate_kinds) == 10


def test_the_shipped_schema_is_the_generated_one() -> None:
    expected = json.dumps(json_schema(), indent=2) + "\n"
    assert SCHEMA.read_text() == expected, (
        "config/schema.json is out of date with the models: regenerate it with "
        "`cockpit config schema > config/schema.json` (or `make schema`)"
    )


def test_the_schema_accepts_the_example_and_rejects_an_unknown_key() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    data = yaml.safe_load(EXAMPLE.read_text())
    assert list(validator.iter_errors(data)) == []
    data["sources"]["gh"]["intervl"] = "15s"
    assert [e.validator for e in validator.iter_errors(data)] == ["additionalProperties"]
