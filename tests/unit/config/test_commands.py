"""The config commands: exit codes, what goes to stdout and stderr, and no secret ever shown."""

from __future__ import annotations

import io
import json
from pathlib import Path

import git
import pytest

from cockpit.commands.config_cmds import (
    cmd_config_schema,
    cmd_init,
    cmd_secret_set,
    cmd_validate,
)
from cockpit.config.loader import check_config_file
from cockpit.config.models import json_schema
from cockpit.config.secrets import NO_BACKEND

from .conftest import FIXTURES, MemoryKeyring

FIVE = str(FIXTURES / "five_mistakes.yaml")
CLEAN = str(FIXTURES / "clean.yaml")


class Streams:
    def __init__(self) -> None:
        self.out = io.StringIO()
        self.err = io.StringIO()


def test_validate_a_clean_file() -> None:
    s = Streams()
    assert cmd_validate([CLEAN], s.out, s.err, {}) == 0
    assert s.out.getvalue() == f"ok: {CLEAN}\n"
    assert s.err.getvalue() == ""


def test_validate_prints_every_problem_then_a_summary() -> None:
    s = Streams()
    assert cmd_validate([FIVE, CLEAN], s.out, s.err, {}) == 2
    lines = s.err.getvalue().splitlines()
    assert len(lines) == 6
    assert all(line.startswith(f"{FIVE}:") for line in lines[:5])
    assert lines[5] == "5 problems in 1 file"
    assert s.out.getvalue() == f"ok: {CLEAN}\n"
    assert "ghp_FixtureSecret123" not in s.err.getvalue()


def test_validate_counts_files_with_problems(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("environment: [x]\n")
    s = Streams()
    assert cmd_validate([FIVE, str(other), str(tmp_path / "gone.yaml")], s.out, s.err, {}) == 2
    assert s.err.getvalue().splitlines()[-1] == "7 problems in 3 files"
    assert f"{tmp_path / 'gone.yaml'}:1:1: file not found" in s.err.getvalue()


def test_validate_without_paths_checks_the_discovered_config() -> None:
    s = Streams()
    assert cmd_validate([], s.out, s.err, {"COCKPIT_CONFIG": FIVE}) == 2
    assert s.err.getvalue().splitlines()[-1] == "5 problems in 1 file"
    s = Streams()
    assert cmd_validate([], s.out, s.err, {"COCKPIT_CONFIG": FIVE}, config_path=CLEAN) == 0
    assert s.out.getvalue() == f"ok: {CLEAN}\n"


def test_validate_without_a_config_says_where_it_looked(tmp_path: Path) -> None:
    s = Streams()
    assert cmd_validate([], s.out, s.err, {"XDG_CONFIG_HOME": str(tmp_path)}) == 2
    assert s.err.getvalue() == (
        "cockpit: no config found. Looked in:\n"
        f"  {tmp_path / 'cockpit' / 'config.yaml'}\n"
        "hint: run `cockpit init` to write a commented starter config\n"
    )


def test_config_schema_prints_the_json_schema() -> None:
    out = io.StringIO()
    assert cmd_config_schema(out) == 0
    assert json.loads(out.getvalue()) == json_schema()
    assert out.getvalue().startswith('{\n  "$defs"')


def github_checkout(path: Path) -> Path:
    repo = git.Repo.init(path, initial_branch="main")
    repo.create_remote("origin", "git@github.com:acme/checkout.git")
    repo.close()
    return path


def test_init_writes_to_the_xdg_path_and_refuses_to_overwrite(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    cwd = github_checkout(tmp_path / "checkout")
    target = tmp_path / "xdg" / "cockpit" / "config.yaml"
    s = Streams()
    assert cmd_init(None, cwd, s.out, s.err, env) == 0
    assert s.out.getvalue().startswith(f"wrote {target}\nnext:\n")
    assert "cockpit validate\n" in s.out.getvalue()  # found without --config
    assert "repo: acme/checkout" in target.read_text()
    assert check_config_file(target)[1] == []
    s = Streams()
    assert cmd_init(None, cwd, s.out, s.err, env) == 2
    assert s.err.getvalue().startswith(f"cockpit: {target} already exists: not overwriting it\n")
    assert s.out.getvalue() == ""


def test_init_to_another_path_says_to_pass_it(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yaml"
    s = Streams()
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert cmd_init(str(target), tmp_path, s.out, s.err, env) == 0
    assert f"cockpit --config {target} validate" in s.out.getvalue()
    assert target.exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_secret_set_from_a_pipe(memory_keyring: MemoryKeyring) -> None:
    s = Streams()
    assert cmd_secret_set("gh", io.StringIO("tok-123\nignored\n"), s.out, s.err) == 0
    assert memory_keyring.entries == {("cockpit", "gh"): "tok-123"}
    assert s.out.getvalue() == (
        "stored {keyring: cockpit/gh} in the OS keyring; "
        "in the config write: token: {keyring: cockpit/gh}\n"
    )
    assert "tok-123" not in s.out.getvalue() + s.err.getvalue()


def test_secret_set_on_a_terminal_prompts_without_echo(memory_keyring: MemoryKeyring) -> None:
    prompts: list[str] = []

    def hidden(prompt: str) -> str:
        prompts.append(prompt)
        return "tok-456"

    s = Streams()
    assert cmd_secret_set("gl", Terminal(), s.out, s.err, value_from=hidden) == 0
    assert prompts == ["value for {keyring: cockpit/gl} (input hidden): "]
    assert memory_keyring.entries == {("cockpit", "gl"): "tok-456"}
    assert "tok-456" not in s.out.getvalue() + s.err.getvalue()


@pytest.mark.usefixtures("no_keyring")
def test_secret_set_without_a_backend_fails_before_asking() -> None:
    def never(prompt: str) -> str:
        raise AssertionError("asked for a secret that could not be stored")

    s = Streams()
    assert cmd_secret_set("gh", Terminal(), s.out, s.err, value_from=never) == 2
    assert s.err.getvalue().startswith(f"cockpit: secret {{keyring: cockpit/gh}}: {NO_BACKEND}\n")
    assert "hint: reference the secret from the environment instead: {env: VAR}" in (
        s.err.getvalue()
    )


@pytest.mark.parametrize(
    ("name", "stdin", "message"),
    [
        ("gh", "\n", "cockpit: the secret is empty: nothing was stored\n"),
        ("bad name", "x\n", "cockpit: 'bad name' is not a usable secret name\n"),
    ],
)
def test_secret_set_refusals(
    memory_keyring: MemoryKeyring, name: str, stdin: str, message: str
) -> None:
    s = Streams()
    assert cmd_secret_set(name, io.StringIO(stdin), s.out, s.err) == 2
    assert s.err.getvalue().startswith(message)
    assert memory_keyring.entries == {}


def test_secret_set_end_of_input_on_a_terminal(memory_keyring: MemoryKeyring) -> None:
    def eof(prompt: str) -> str:
        raise EOFError

    s = Streams()
    assert cmd_secret_set("gh", Terminal(), s.out, s.err, value_from=eof) == 2
    assert s.err.getvalue() == "cockpit: no value given: nothing was stored\n"
