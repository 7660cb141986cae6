"""The readiness state file: operator decisions (ticks, waivers) as append-only JSON lines.

One line per decision, written with a single `write` and `fsync`ed before the action counts, so
a crash or a dropped SSH session loses nothing that the screen already showed as done. Reloading
replays the lines in order. A line cut short by a crash (a torn last line) is skipped with a
warning; the next append starts on a fresh line, so it never glues onto the torn bytes.

Each record names the environment, the release ref and the gate (index, kind, title): a record
written for another environment (the demo) or for a gate that has since moved or changed is not
applied to this one. Only what the operator decided is written: never the environment of
command gates, command output or any secret.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cockpit.config.discovery import expand_user

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
OPS = frozenset({"tick", "untick", "waive", "revoke"})
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def default_state_path(release_ref: str, environ: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/cockpit/readiness/<release-ref>.jsonl` (`~/.local/state` by default).

    Per the XDG spec a relative `$XDG_STATE_HOME` is ignored. The ref is made safe for a file
    name (`release/2.14` -> `release_2.14`); records carry the exact ref, so two refs that map to
    the same name never mix.
    """
    xdg = environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else expand_user("~/.local/state", environ)
    name = _UNSAFE_NAME.sub("_", release_ref).strip("._") or "no-ref"
    return base / "cockpit" / "readiness" / f"{name}.jsonl"


@dataclass(frozen=True, slots=True)
class Record:
    """One operator decision as stored.

    Attributes:
        op: tick | untick | waive | revoke.
        gate: The gate's index in `config.gates`.
        kind: The gate's kind when recorded.
        title: The gate's title when recorded.
        by: Who decided.
        at: When (UTC).
        environment: The config's `environment`.
        release: The release ref.
        text: The tick's note or the waiver's reason.
        failure: For a waiver, the failure it covers.
    """

    op: str
    gate: int
    kind: str
    title: str
    by: str
    at: datetime
    environment: str
    release: str
    text: str = ""
    failure: str = ""

    def to_line(self) -> bytes:
        document = {
            "v": FORMAT_VERSION,
            "op": self.op,
            "gate": self.gate,
            "kind": self.kind,
            "title": self.title,
            "by": self.by,
            "at": self.at.isoformat(),
            "environment": self.environment,
            "release": self.release,
            "text": self.text,
            "failure": self.failure,
        }
        return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_json(cls, document: Any) -> Record:
        """Parse one decoded line.

        Raises:
            ValueError: Not a record this version understands.
        """
        if not isinstance(document, dict) or document.get("v") != FORMAT_VERSION:
            raise ValueError("not a version-1 record")
        op = document.get("op")
        if op not in OPS:
            raise ValueError(f"unknown operation {op!r}")
        gate = document.get("gate")
        if not isinstance(gate, int) or isinstance(gate, bool) or gate < 0:
            raise ValueError("no gate index")
        texts = {}
        for key in ("kind", "title", "by", "environment", "release", "text", "failure"):
            value = document.get(key, "")
            if not isinstance(value, str):
                raise ValueError(f"{key} is not a string")
            texts[key] = value
        at = datetime.fromisoformat(str(document.get("at")))
        if at.tzinfo is None:
            raise ValueError("the time has no time zone")
        return cls(op=op, gate=gate, at=at, **texts)


@dataclass
class Loaded:
    """What a state file held: the records in order, and what was wrong with it."""

    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ends_mid_line: bool = False


def load_records(path: Path) -> Loaded:
    """Every record of `path`, in order; a missing file is empty, a bad line a warning.

    Never raises for what a crash can leave behind: a torn last line is skipped with a warning,
    and so is a corrupt line in the middle. An unreadable file is a warning too: the cockpit
    must still start (the operator will see the gates unticked, and why).
    """
    loaded = Loaded()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return loaded
    except OSError as exc:
        loaded.warnings.append(f"could not read {path}: {exc.strerror or exc}")
        return loaded
    loaded.ends_mid_line = bool(data) and not data.endswith(b"\n")
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        last = number == len(lines)
        try:
            loaded.records.append(Record.from_json(json.loads(raw)))
        except (ValueError, TypeError) as exc:
            if last and loaded.ends_mid_line:
                message = f"{path}:{number}: ignored a torn last line ({len(raw)} bytes)"
            else:
                message = f"{path}:{number}: ignored a line that is not a record ({exc})"
            loaded.warnings.append(message)
    for message in loaded.warnings:
        logger.warning("%s", message)
    return loaded


class StateFile:
    """Appends records to one file, durably: one `write` and an `fsync` per record."""

    def __init__(self, path: Path, *, ends_mid_line: bool = False) -> None:
        self.path = path
        self._needs_newline = ends_mid_line

    def append(self, record: Record) -> None:
        """Write `record` as one line and `fsync` it before returning.

        Raises:
            OSError: The directory or the file could not be created or written.
        """
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = record.to_line()
        if self._needs_newline:
            data = b"\n" + data
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        self._needs_newline = False
        if created:
            _fsync_directory(self.path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable too (best effort: not every OS allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
