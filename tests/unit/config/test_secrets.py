"""Secrets by reference: resolved late, never shown, and no silent plaintext keyring."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer
from keyring.errors import NoKeyringError

from cockpit.config.models import EnvRef, KeyringRef
from cockpit.config.secrets import (
    NO_BACKEND,
    describe,
    looks_like_token,
    resolve_secret,
    store_secret,
)
from cockpit.errors import SecretError

from .conftest import MemoryKeyring

VALUE = "s3cret-Value-never-shown"
ROOT = Path(__file__).resolve().parents[3]


def test_env_reference_resolves() -> None:
    assert resolve_secret(EnvRef(env="TOKEN"), {"TOKEN": VALUE}) == VALUE


@pytest.mark.parametrize(("environ", "state"), [({}, "is not set"), ({"TOKEN": ""}, "is empty")])
def test_unset_env_reference_says_what_to_set(environ: dict[str, str], state: str) -> None:
    with pytest.raises(SecretError) as caught:
        resolve_secret(EnvRef(env="TOKEN"), environ)
    assert caught.value.message == f"secret {{env: TOKEN}}: TOKEN {state}"
    assert caught.value.hint.startswith("set TOKEN in the environment, or ")


@pytest.mark.parametrize(
    "ref",
    [
        EnvRef(env="ghp_abcdefghijklmnopqrstuvwxyz0123"),
        KeyringRef(keyring="cockpit/github_pat_11ABCDEFG0123456789abcdef"),
    ],
)
def test_a_token_written_as_a_name_is_refused_without_repeating_it(
    ref: EnvRef | KeyringRef,
) -> None:
    with pytest.raises(SecretError) as caught:
        resolve_secret(ref, {})
    assert "looks like a token" in caught.value.message
    assert "0123" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("GITHUB_TOKEN", False),
        ("JENKINS_API_TOKEN_FOR_THE_RELEASE_PIPELINE_2", False),
        ("cockpit/gh", False),
        ("cockpit/checkout-release-2024-team-eu-west-1", False),
        ("gho_16C7e42F292c6912E7710c838347Ae178B4a", True),
        ("glpat-xxxxxxxxxxxxxxxxxxxx", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("q8Zr2LmW9xYtB4nVc7KpD3sJfH6gA1eU", True),
    ],
)
def test_looks_like_token(text: str, token: bool) -> None:
    assert looks_like_token(text) is token


def test_keyring_reference_resolves(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("cockpit", "gh")] = VALUE
    assert resolve_secret(KeyringRef(keyring="cockpit/gh"), {}) == VALUE


def test_missing_keyring_entry_says_how_to_store_it(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretError) as caught:
        resolve_secret(KeyringRef(keyring="cockpit/gh"), {})
    assert caught.value.message == "secret {keyring: cockpit/gh}: no such entry in the keyring"
    assert caught.value.hint == "run `cockpit secret set gh`"


def test_missing_entry_of_another_service_names_service_and_user(
    memory_keyring: MemoryKeyring,
) -> None:
    with pytest.raises(SecretError) as caught:
        resolve_secret(KeyringRef(keyring="vault/ci/token"), {})
    assert "service `vault`, user `ci/token`" in caught.value.hint


@pytest.mark.usefixtures("no_keyring")
def test_no_backend_points_to_env_references() -> None:
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.fail"
    with pytest.raises(SecretError) as caught:
        resolve_secret(KeyringRef(keyring="cockpit/gh"), {})
    assert caught.value.message == f"secret {{keyring: cockpit/gh}}: {NO_BACKEND}"
    assert "{env: VAR}" in caught.value.hint


@pytest.mark.usefixtures("no_keyring")
def test_storing_without_a_backend_gives_the_same_message() -> None:
    with pytest.raises(SecretError) as caught:
        store_secret("gh", VALUE)
    assert NO_BACKEND in caught.value.message
    assert VALUE not in str(caught.value)


class Refusing(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("no recommended backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NoKeyringError("no recommended backend")

    def delete_password(self, service: str, username: str) -> None:
        raise NoKeyringError("no recommended backend")


def test_no_keyring_error_from_a_backend_is_the_no_backend_message(keyring_home: object) -> None:
    keyring.set_keyring(Refusing())
    with pytest.raises(SecretError) as caught:
        resolve_secret(KeyringRef(keyring="cockpit/gh"), {})
    assert NO_BACKEND in caught.value.message


class Broken(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"cannot store {password}")


def test_a_failing_backend_is_named_but_its_message_is_not_echoed(keyring_home: object) -> None:
    keyring.set_keyring(Broken())
    with pytest.raises(SecretError) as caught:
        store_secret("gh", VALUE)
    assert caught.value.message == "secret {keyring: cockpit/gh}: the keyring failed (RuntimeError)"
    assert VALUE not in str(caught.value)


class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's base64 'plaintext' file backend."""

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("the plaintext backend must not be read")


PlaintextKeyring.__module__ = "keyrings.alt.file"


def test_the_plaintext_backend_is_never_chosen_silently(keyring_home: object) -> None:
    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(SecretError) as caught:
        resolve_secret(KeyringRef(keyring="cockpit/gh"), {})
    assert NO_BACKEND in caught.value.message
    assert "plaintext" in caught.value.message


def test_the_plaintext_backend_is_used_when_chosen_explicitly(
    keyring_home: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    store_secret("gh", VALUE)
    assert backend.entries == {("cockpit", "gh"): VALUE}


def test_a_chain_skips_its_plaintext_member(
    keyring_home: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    safe = MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [safe, PlaintextKeyring()])
    keyring.set_keyring(chainer.ChainerBackend())
    store_secret("gh", VALUE)
    assert safe.entries == {("cockpit", "gh"): VALUE}
    assert resolve_secret(KeyringRef(keyring="cockpit/gh"), {}) == VALUE


def test_store_secret_uses_service_cockpit(memory_keyring: MemoryKeyring) -> None:
    store_secret("gh", VALUE)
    assert memory_keyring.entries == {("cockpit", "gh"): VALUE}


@pytest.mark.parametrize("name", ["", "has space", "/leading", "esc\x1b"])
def test_store_secret_refuses_bad_names(memory_keyring: MemoryKeyring, name: str) -> None:
    with pytest.raises(SecretError, match="not a usable secret name"):
        store_secret(name, VALUE)
    assert memory_keyring.entries == {}


def test_store_secret_refuses_an_empty_value(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretError, match="empty"):
        store_secret("gh", "")


def test_describe_shows_the_reference_as_written() -> None:
    assert describe(KeyringRef(keyring="cockpit/gh")) == "{keyring: cockpit/gh}"
    assert describe(EnvRef(env="GITHUB_TOKEN")) == "{env: GITHUB_TOKEN}"


def test_importing_the_module_does_not_import_keyring() -> None:
    """keyring is slow to import: only the functions that need it import it."""
    probe = "import sys, cockpit.config.secrets; print('keyring' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.stdout.strip() == "False", result.stderr
