"""Where the project's data files (config/: demo config, default rules, schema) live."""

from __future__ import annotations

from pathlib import Path

from cockpit.errors import CockpitError

_DATA = Path(__file__).resolve().parent.parent / "config"


def data_file(name: str) -> Path:
    """A file from the project's `config/` folder (installed with `pip install -e .`)."""
    path = _DATA / name
    if not path.is_file():
        raise CockpitError(
            f"the cockpit's data file {name} is missing (looked in {_DATA})",
            hint="install the cockpit from its checkout with `pip install -e .`",
        )
    return path
