"""Shared helpers for the config tests: a checker and an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend

from cockpit.config.loader import check_config_text
from cockpit.config.problems import Problem

FIXTURES = Path(__file__).parent / "fixtures"


def problems_of(text: str, filename: str = "c.yaml") -> list[Problem]:
    """Every problem of a config text (asserting the config is None when there are some)."""
    config, problems = check_config_text(text, filename)
    assert (config is None) == bool(problems)
    return problems


def lines_of(text: str, filename: str = "c.yaml") -> list[str]:
    return [str(p) for p in problems_of(text, filename)]


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: the working backend of the tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def keyring_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keyring's config and data folders in a temp dir, and no backend chosen yet."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    return tmp_path


@pytest.fixture
def memory_keyring(keyring_home: Path) -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend


@pytest.fixture
def no_keyring(keyring_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a headless server has: keyring's fail backend."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
