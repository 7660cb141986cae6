"""What the header says: the environment (production unmistakable), the release, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cockpit.text import sanitize

if TYPE_CHECKING:  # the header is drawn before the config models are loaded
    from cockpit.config.models import Config

READ_ONLY_BADGE = "READ-ONLY"
STARTING_LABEL = "starting…"
"""Where the environment goes, until the config is loaded."""
NOT_STARTED_LABEL = "not started"


def environment_label(config: Config) -> str:
    """`PRODUCTION` in capitals for production (however it was spelled), else the name as given."""
    if config.is_production:
        return "PRODUCTION"
    return sanitize(config.environment) or "unknown environment"


def release_label(config: Config) -> str:
    """`checkout 2.14.0 @ v2.14.0`, whichever parts are configured; `no release set` if neither."""
    name = sanitize(config.release.name)
    ref = sanitize(config.release.ref)
    if name and ref:
        return f"{name} @ {ref}"
    return name or ref or "no release set"
