"""Where the config lives: `--config`, else `$COCKPIT_CONFIG`, else the XDG config path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "COCKPIT_CONFIG"


def expand_user(text: str, environ: Mapping[str, str]) -> Path:
    """`~/x` with the HOME of `environ` (so tests and sudo see the same home as the caller)."""
    if text == "~" or text.startswith("~/"):
        home = environ.get("HOME") or str(Path.home())
        return Path(home) / text[2:]
    return Path(text)


def default_config_path(environ: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME/cockpit/config.yaml`, with `~/.config` when the variable is unset.

    Per the XDG spec, a relative `$XDG_CONFIG_HOME` is ignored.
    """
    xdg = environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else expand_user("~/.config", environ)
    return base / "cockpit" / "config.yaml"


def find_config(cli_path: str | None, environ: Mapping[str, str]) -> tuple[Path | None, list[Path]]:
    """The config file to use, and every place looked (for the "not found" message).

    An explicit choice (`--config`, then `$COCKPIT_CONFIG`) is final: when it names a missing
    file the answer is None rather than a silent fallback to another config.

    Args:
        cli_path: The `--config` value, if given.
        environ: The environment (for `COCKPIT_CONFIG`, `XDG_CONFIG_HOME`, `HOME`).

    Returns:
        (the path, or None when nothing exists there; the places looked, in order).
    """
    if cli_path:
        candidate = expand_user(cli_path, environ)
    elif environ.get(ENV_VAR):
        candidate = expand_user(environ[ENV_VAR], environ)
    else:
        candidate = default_config_path(environ)
    return (candidate if candidate.exists() else None), [candidate]


def not_found_message(looked: list[Path]) -> str:
    """`no config found (looked in: A, B)` for one-line errors."""
    return f"no config found (looked in: {', '.join(str(p) for p in looked)})"
