"""The typed error hierarchy: every error a user can cause or meet has a class, a title and a hint.

Errors caused by the operator (bad config, bad flag) end a headless command with exit 2 and a
message on stderr. Errors from remote systems become pane state (see `SourceError`), never a
traceback.
"""

from __future__ import annotations

from enum import StrEnum


class CockpitError(Exception):
    """Base of every error the cockpit expects and explains.

    Attributes:
        message: What went wrong, naming the thing.
        title: A short heading for a toast or modal.
        hint: What to do next (may be empty).
    """

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ErrorKind(StrEnum):
    """The kinds of source error in the JSON contract (`error.kind`)."""

    AUTH = "auth"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    BAD_RESPONSE = "bad_response"
    CONFIG = "config"


class SourceError(CockpitError):
    """A remote system failed or refused us. Becomes pane state, never a modal.

    Attributes:
        kind: The typed kind, as in the JSON contract.
        source: The configured source name, so every message names it.
        retry_after_s: When the remote asked us to wait (Retry-After, rate-limit reset).
    """

    title = "Source error"

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        source: str = "",
        hint: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.kind = kind
        self.source = source
        self.retry_after_s = retry_after_s


class ConfigError(CockpitError):
    """The config could not be loaded; `problems` lists every located problem at once."""

    title = "Config error"

    def __init__(self, message: str, problems: list[str] | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class SecretError(CockpitError):
    """A secret reference could not be resolved (no keyring backend, unset variable, ...)."""

    title = "Secret not available"
