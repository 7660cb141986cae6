"""Rows for the panes that list configuration until their data arrives: Rollout and Logs."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cockpit.config.models import CommandLog, FileLog, LogSpec, Service, SourceLog
from cockpit.models import SourceStatus
from cockpit.present.sources import source_status_text
from cockpit.present.tone import Palette, Tone, styled
from cockpit.text import sanitize

NO_ROLLOUT = "no rollout configured"
NO_LOGS = "no log sources configured"


def rollout_row(
    service: Service, status: SourceStatus, now: datetime, palette: Palette, *, width: int = 0
) -> Text:
    """`checkout  argo-rollout shop/checkout  k8s ? unknown: no data yet`.

    When the line is wider than `width` (0: no limit), the source's state goes on a second,
    indented line rather than being wrapped mid-phrase.
    """
    rollout = service.rollout
    if rollout is None:
        return styled(f"{service.name}  {NO_ROLLOUT}", Tone.MUTED, palette)
    target = f"{rollout.kind} {sanitize(rollout.namespace)}/{sanitize(rollout.name)}"
    head = Text.assemble(
        Text(sanitize(service.name), style="bold", end=""),
        "  ",
        styled(target, Tone.MUTED, palette),
        end="",
    )
    state = source_status_text(status, now, palette, compact=True)
    gap = "  " if not width or head.cell_len + 2 + state.cell_len <= width else "\n    "
    return Text.assemble(head, gap, state, end="")


def log_spec_label(spec: LogSpec) -> tuple[str, str]:
    """What a log spec reads from, as (kind, detail): ("loki", '{app="checkout"}')."""
    if isinstance(spec, SourceLog):
        return sanitize(spec.source), sanitize(spec.query)
    if isinstance(spec, FileLog):
        return "file", sanitize(spec.file)
    if isinstance(spec, CommandLog):
        return "command", sanitize(" ".join(spec.command))
    raise TypeError(f"unknown log spec {spec!r}")


def log_row(service: Service, spec: LogSpec, palette: Palette) -> Text:
    """`checkout  loki  {app="checkout"}`."""
    kind, detail = log_spec_label(spec)
    return Text.assemble(
        Text(sanitize(service.name), style="bold", end=""),
        "  ",
        styled(kind, Tone.ACCENT, palette),
        "  ",
        Text(detail, end=""),
        end="",
    )
