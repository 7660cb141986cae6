"""A source that cannot poll, and says why, so the pane and `status --json` show the reason."""

from __future__ import annotations

from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.base import SourceData

# Unavailable sources are retried rarely: nothing changes until the operator fixes something.
UNAVAILABLE_INTERVAL_S = 300.0


class UnavailableSource:
    """Stands in for a configured source whose adapter cannot be built.

    Examples: its secret cannot be resolved, or its kind has no adapter in this version. It fails
    every poll with the same typed error, which the engine shows as `failing` with the message.
    """

    def __init__(self, name: str, kind: str, error: SourceError, http: SourceHttp) -> None:
        self.name = name
        self.kind = kind
        self.interval_s = UNAVAILABLE_INTERVAL_S
        self.http = http
        self.error = error

    async def poll(self) -> SourceData:
        raise self.error


def unsupported_kind(name: str, kind: str) -> SourceError:
    return SourceError(
        ErrorKind.CONFIG,
        f"{name}: sources of kind {kind!r} are not polled by this version of the cockpit",
        source=name,
        hint="the source is shown as failing so that nothing depending on it looks healthy",
    )
