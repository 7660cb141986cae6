"""Secrets by reference: `{keyring: SERVICE/NAME}` or `{env: VAR}`, resolved late.

Messages name the reference and what to do, never the value. `keyring` is imported inside the
functions that need it: it is slow to import and most commands never touch a secret.

On a headless machine keyring has no backend (`keyring.backends.fail.Keyring`, or
`NoKeyringError`). keyrings.alt's plaintext backend only base64-encodes the secrets, so it is
treated as "no backend" unless the user chose it explicitly (`PYTHON_KEYRING_BACKEND` or a
`keyringrc.cfg`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cockpit.config.models import EnvRef, KeyringRef
from cockpit.errors import SecretError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "cockpit"
# GitHub (classic and fine-grained), GitLab, Slack and AWS access key shapes.
_TOKEN_SHAPES = re.compile(
    r"(^|/)(gh[opusr]_\w{20,}|github_pat_\w{20,}|glpat-|xox[abposr]-|AKIA[0-9A-Z]{16})"
)
_NAME = re.compile(r"^[\w.@+-][\w.@+/-]*$")
NO_BACKEND = "there is no keyring backend on this machine"
NO_BACKEND_HINT = (
    "reference the secret from the environment instead: {env: VAR}; or install and configure "
    "a keyring backend (PYTHON_KEYRING_BACKEND or keyringrc.cfg)"
)


def looks_like_token(text: str) -> bool:
    """Does a name look like a token pasted where a name belongs (`{env: ghp_...}`)?"""
    if _TOKEN_SHAPES.search(text):
        return True
    tail = text.rsplit("/", 1)[-1]  # random-looking: long, alphanumeric, mixed case and digits
    kinds = (str.islower, str.isupper, str.isdigit)
    return len(tail) >= 32 and tail.isalnum() and all(any(k(c) for c in tail) for k in kinds)


def describe(ref: KeyringRef | EnvRef) -> str:
    """The reference as written in the config: `{keyring: cockpit/gh}` or `{env: GITHUB_TOKEN}`.

    A name that looks like a token is not repeated.
    """
    name = ref.keyring if isinstance(ref, KeyringRef) else ref.env
    shown = "<a name that looks like a token>" if looks_like_token(name) else name
    return f"{{keyring: {shown}}}" if isinstance(ref, KeyringRef) else f"{{env: {shown}}}"


def resolve_secret(ref: KeyringRef | EnvRef, environ: Mapping[str, str] = os.environ) -> str:
    """The secret's value.

    Raises:
        SecretError: naming the reference (never a value) and what to do.
    """
    if looks_like_token(ref.keyring if isinstance(ref, KeyringRef) else ref.env):
        raise SecretError(
            f"secret {describe(ref)}: the reference holds what looks like a token, not a name",
            hint="store the token with `cockpit secret set NAME` and write "
            "{keyring: cockpit/NAME}, or put it in a variable and write {env: VAR}",
        )
    if isinstance(ref, EnvRef):
        value = environ.get(ref.env)
        if not value:
            state = "is empty" if value == "" else "is not set"
            raise SecretError(
                f"secret {describe(ref)}: {ref.env} {state}",
                hint=f"set {ref.env} in the environment, or store the secret with "
                "`cockpit secret set NAME` and write {keyring: cockpit/NAME}",
            )
        return value
    service, _, username = ref.keyring.partition("/")
    backend = _backend(describe(ref))
    try:
        value = backend.get_password(service, username)
    except Exception as exc:
        raise _keyring_failure(exc, describe(ref)) from None
    if value is None:
        how = (
            f"run `cockpit secret set {username}`"
            if service == SERVICE
            else f"store it under service `{service}`, user `{username}` (e.g. `keyring set "
            f"{service} {username}`)"
        )
        raise SecretError(f"secret {describe(ref)}: no such entry in the keyring", hint=how)
    return value


def check_secret_name(name: str) -> None:
    """Raise SecretError unless `name` can be written as `{keyring: cockpit/NAME}`."""
    if not _NAME.match(name):
        raise SecretError(
            f"{name!r} is not a usable secret name",
            hint="use a name without spaces that does not start with /, such as gh",
        )


def check_keyring(name: str) -> None:
    """Raise SecretError (the no-backend message) unless a safe keyring backend is usable."""
    _backend(f"{{keyring: {SERVICE}/{name}}}")


def store_secret(name: str, value: str) -> None:
    """Store `value` in the keyring as service `cockpit`, username `name`.

    Raises:
        SecretError: bad name, empty value, or no usable keyring backend.
    """
    check_secret_name(name)
    if not value:
        raise SecretError("the secret is empty: nothing was stored")
    where = f"{{keyring: {SERVICE}/{name}}}"
    backend = _backend(where)
    try:
        backend.set_password(SERVICE, name, value)
    except Exception as exc:
        raise _keyring_failure(exc, where) from None


def _keyring_failure(exc: Exception, where: str) -> SecretError:
    from keyring.errors import NoKeyringError

    if isinstance(exc, NoKeyringError):
        return SecretError(f"secret {where}: {NO_BACKEND}", hint=NO_BACKEND_HINT)
    # Only the type: a backend's message is not ours to vouch for.
    return SecretError(f"secret {where}: the keyring failed ({type(exc).__name__})")


def _backend(where: str) -> KeyringBackend:
    """The chosen backend, refusing the fail backend and an unchosen plaintext one."""
    import keyring
    from keyring.backends import chainer, fail

    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # e.g. a PYTHON_KEYRING_BACKEND naming a missing class
        raise SecretError(
            f"secret {where}: the keyring backend cannot be loaded ({type(exc).__name__})",
            hint="check PYTHON_KEYRING_BACKEND and keyringrc.cfg, or use {env: VAR}",
        ) from None
    members = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    if isinstance(backend, fail.Keyring) or not members:
        raise SecretError(f"secret {where}: {NO_BACKEND}", hint=NO_BACKEND_HINT)
    if _explicitly_chosen():
        return backend
    safe = [m for m in members if not _is_plaintext(m) and not isinstance(m, fail.Keyring)]
    if not safe:
        raise SecretError(
            f"secret {where}: {NO_BACKEND} (only the keyrings.alt plaintext file, which is "
            "not safe and is never used unless you choose it)",
            hint=NO_BACKEND_HINT,
        )
    # A chain that includes the plaintext file: use its best safe member alone.
    return backend if len(safe) == len(members) else safe[0]


def _is_plaintext(backend: object) -> bool:
    cls = type(backend)
    return cls.__module__.startswith("keyrings.alt") and "plaintext" in cls.__name__.lower()


def _explicitly_chosen() -> bool:
    """Did the user pick the backend themselves (environment or keyring's config file)?"""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    from keyring.util import platform_

    return bool((platform_.config_root() / "keyringrc.cfg").exists())
