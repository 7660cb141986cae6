"""The `ticket_linked` gate: every commit in the release range references a ticket.

The release range is `PREVIOUS..REF`, where PREVIOUS is the newest tag reachable from the
release ref's parent (what `git describe --tags --abbrev=0 REF^` prints); without an earlier tag,
every commit reachable from REF. Merge commits are skipped: their messages are generated, and
the commits they bring in are checked themselves. A commit passes when `pattern` (a Python
regular expression) is found anywhere in its message.

gitpython blocks, so callers run `ticket_linked_result` in a thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from cockpit.config.models import TicketLinkedGate
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.readiness.common import one_line, result, unknown

# Offenders kept in the evidence, and named in the reason.
MAX_OFFENDERS = 50
_IN_REASON = 5


def release_range(repo: Any, ref: str) -> tuple[str, list[Any]]:
    """The range text (`v2.13.0..v2.14.0`) and its non-merge commits, newest first.

    Raises:
        ValueError: `ref` does not name a commit in `repo`.
    """
    import git

    try:
        head = repo.commit(ref)
    except (git.BadName, git.GitCommandError, ValueError) as exc:
        raise ValueError(f"{ref} is not a commit, tag or branch in {repo.working_dir}") from exc
    previous = ""
    if head.parents:
        try:
            previous = str(repo.git.describe("--tags", "--abbrev=0", f"{head.hexsha}^")).strip()
        except git.GitCommandError:
            previous = ""  # no earlier tag: the whole history is the range
    rev = f"{previous}..{head.hexsha}" if previous else head.hexsha
    commits = list(repo.iter_commits(rev, no_merges=True))
    return (f"{previous}..{ref}" if previous else f"(root)..{ref}"), commits


def ticket_linked_result(
    gate: TicketLinkedGate,
    repo_path: str | None,
    ref: str,
    now: datetime,
    base_dir: Path | None = None,
) -> GateResult:
    """Check every commit of the release range against the gate's pattern (blocking: git).

    Args:
        gate: The gate.
        repo_path: `release.repo` (a local checkout); relative to `base_dir` when relative.
        ref: The release ref.
        now: When the check runs (the result's `fetched_at`).
        base_dir: What a relative repo path is relative to (default: the working directory).
    """
    import git

    evidence: dict[str, Any] = {"pattern": gate.pattern, "repo": repo_path, "ref": ref}
    if not repo_path:
        return unknown(
            gate, "release.repo is not set (the git checkout to read commits from)", evidence
        )
    if not ref:
        return unknown(gate, "no release ref (set release.ref or pass --release)", evidence)
    try:
        pattern = re.compile(gate.pattern)
    except re.error as exc:
        return unknown(
            gate, f"pattern {gate.pattern!r} is not a regular expression: {exc}", evidence
        )
    path = Path(repo_path).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        repo = git.Repo(path, search_parent_directories=False)
    except (git.NoSuchPathError, git.InvalidGitRepositoryError):
        return unknown(gate, f"{repo_path} is not a git checkout", evidence, fetched_at=now)
    try:
        span, commits = release_range(repo, ref)
        offenders = [c for c in commits if not pattern.search(str(c.message))]
        listed = [
            {"sha": c.hexsha[:7], "summary": one_line(str(c.summary), 120)}
            for c in offenders[:MAX_OFFENDERS]
        ]
    except ValueError as exc:
        return unknown(gate, one_line(str(exc)), evidence, fetched_at=now)
    finally:
        repo.close()
    evidence.update(
        {
            "range": span,
            "commits": len(commits),
            "offenders": listed,
            "offenders_total": len(offenders),
        }
    )
    if not commits:
        return result(gate, GateVerdict.PASS, f"no commits in {span}", evidence, fetched_at=now)
    if offenders:
        shown = ", ".join(c.hexsha[:7] for c in offenders[:_IN_REASON])
        if len(offenders) > _IN_REASON:
            shown += f" (+{len(offenders) - _IN_REASON} more)"
        reason = (
            f"{len(offenders)} of {len(commits)} commits in {span} reference no ticket: {shown}"
        )
        return result(gate, GateVerdict.FAIL, reason, evidence, fetched_at=now)
    noun = "commit" if len(commits) == 1 else "commits"
    reason = f"{len(commits)} {noun} in {span} all reference a ticket"
    return result(gate, GateVerdict.PASS, reason, evidence, fetched_at=now)
