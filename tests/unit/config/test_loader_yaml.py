"""The YAML layer and the file layer: every problem located, no traceback, no secret quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.config.loader import check_config_file, load_config, validate_paths
from cockpit.errors import ConfigError

from .conftest import FIXTURES, lines_of, problems_of


def test_malformed_yaml_points_at_the_parser_mark() -> None:
    text = "sources:\n  gh: {kind: github, url: x\nservices: []\n"
    assert lines_of(text) == [
        "c.yaml:3:9: invalid YAML: expected ',' or '}', but got ':' "
        "(while parsing a flow mapping, which started at line 2)"
    ]


def test_tabs_get_a_hint_about_spaces() -> None:
    [problem] = problems_of("sources:\n\tgh: x\n")
    assert (problem.line, problem.col) == (2, 1)
    assert problem.hint == "indent with spaces: YAML does not allow tabs"


def test_several_documents_are_one_problem_at_the_second() -> None:
    assert lines_of("a: 1\n---\nb: 2\n") == [
        "c.yaml:2:1: invalid YAML: expected a single document in the stream but found "
        "another document (the first started at line 1)"
    ]


def test_yaml_errors_never_quote_the_source_line() -> None:
    # PyYAML's str(exc) shows the offending line; that line may hold a pasted token.
    text = 'sources:\n  gh: {kind: github, token: "ghp_Secret123\n'
    [line] = lines_of(text)
    assert line.startswith("c.yaml:3:1: invalid YAML: found unexpected end of stream")
    assert "ghp_Secret123" not in line


def test_unprintable_characters_are_located() -> None:
    assert lines_of("environment: a\x07b\n") == [
        "c.yaml:1:15: invalid YAML: character #x0007 is not allowed"
    ]


def test_unsafe_tags_are_refused_as_a_problem() -> None:
    [problem] = problems_of("x: !!python/object:os.system 1\n")
    assert (problem.line, problem.col) == (1, 4)
    assert "could not determine a constructor" in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_an_empty_file_is_a_problem(text: str) -> None:
    assert lines_of(text) == [
        "c.yaml:1:1: the file is empty (run `cockpit init` to write a commented starter config)"
    ]


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "a list"), ("just words\n", "a single")])
def test_the_top_level_must_be_a_mapping(text: str, got: str) -> None:
    [problem] = problems_of(text)
    assert (problem.line, problem.col, problem.key_path) == (1, 1, "")
    assert problem.message.startswith("the top level must be a mapping of settings")
    assert got in problem.message


def test_duplicate_top_level_key_points_at_the_second() -> None:
    text = "environment: a\nread_only: true\nenvironment: b\n"
    assert lines_of(text) == [
        "c.yaml:3:1: environment: duplicate key `environment` "
        "(first at line 1; YAML would keep only the last one)"
    ]


def test_duplicate_key_inside_a_flow_mapping() -> None:
    text = 'sources:\n  gh: {kind: github, url: "http://a", url: "http://b"}\n'
    [problem] = problems_of(text)
    assert (problem.line, problem.col, problem.key_path) == (2, 39, "sources.gh.url")


def test_duplicate_source_names_are_found_in_the_node_tree() -> None:
    text = "sources:\n  gh: {kind: github, url: https://a}\n  gh: {kind: gitlab, url: https://b}\n"
    [problem] = problems_of(text)
    assert str(problem).startswith("c.yaml:3:3: sources.gh: duplicate key `gh` (first at line 2")


def test_a_recursive_alias_does_not_hang() -> None:
    assert lines_of("environment: &e [*e]\n") == [
        "c.yaml:1:14: environment: expected text, got a list"
    ]


def test_a_number_as_a_key_is_located_at_the_key() -> None:
    assert lines_of("sources:\n  1: {kind: loki, url: http://x}\n") == [
        "c.yaml:2:3: sources.1: the key `1` is read as a number or true/false; "
        "keys must be text (put the key in quotes)"
    ]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfenvironment: staging\n")
    config, problems = check_config_file(path)
    assert problems == []
    assert config is not None and config.environment == "staging"


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert [str(p) for p in validate_paths([missing])] == [
        f"{missing}:1:1: file not found "
        "(check the path, or run `cockpit init` to write a commented starter config)"
    ]


def test_not_utf8_is_located_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"environment: ok\nrelease: {name: caf\xe9}\n")
    assert [str(p) for p in validate_paths([path])] == [
        f"{path}:2:20: not UTF-8 text (byte 0xe9) (save the file as UTF-8)"
    ]


def test_a_directory_is_a_problem(tmp_path: Path) -> None:
    [problem] = validate_paths([tmp_path])
    assert problem.message == "is a directory, not a config file"


def test_an_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("environment: x\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    [problem] = validate_paths([path])
    assert str(problem) == f"{path}:1:1: cannot read the file: permission denied"


def test_validate_paths_reports_every_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("environment: [a]\nread_only: maybe\n")
    problems = validate_paths([FIXTURES / "five_mistakes.yaml", broken, FIXTURES / "clean.yaml"])
    files = [Path(p.file).name for p in problems]
    assert files == ["five_mistakes.yaml"] * 5 + ["broken.yaml"] * 2


def test_load_config_returns_the_model() -> None:
    config = load_config(FIXTURES / "clean.yaml")
    assert config.environment == "staging"
    assert config.sources["gh"].kind == "github"


def test_load_config_raises_with_every_problem_as_text() -> None:
    path = FIXTURES / "five_mistakes.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message == f"the config {path} has 5 problems"
    assert len(caught.value.problems) == 5
    assert all(p.startswith(f"{path}:") for p in caught.value.problems)
    assert "ghp_FixtureSecret123" not in str(caught.value) + "".join(caught.value.problems)


def test_load_config_on_a_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yaml")
    assert caught.value.problems[0].endswith(
        "absent.yaml:1:1: file not found "
        "(check the path, or run `cockpit init` to write a commented starter config)"
    )
