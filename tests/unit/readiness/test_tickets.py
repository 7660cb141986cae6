"""ticket_linked against a real temporary git repository."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import TicketLinkedGate
from cockpit.models.readiness import GateVerdict
from cockpit.readiness import evaluate_local_gates
from cockpit.readiness.tickets import ticket_linked_result

from .helpers import NOW, make_config

PATTERN = r"[A-Z]+-\d+"
GATE = TicketLinkedGate(kind="ticket_linked", pattern=PATTERN)
ME = git.Actor("Test", "test@example.com")


def commit(repo: git.Repo, message: str) -> git.Commit:
    slug = "".join(ch if ch.isalnum() else "-" for ch in message.splitlines()[0])
    path = Path(repo.working_dir) / f"{slug}.txt"
    path.write_text(message + "\n")
    repo.index.add([str(path)])
    return repo.index.commit(message, author=ME, committer=ME)


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    """v2.13.0 <- three commits (one without a ticket) <- a merge <- v2.14.0."""
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", ME.name)
        config.set_value("user", "email", ME.email)
    commit(repo, "initial import")  # no ticket, but before the previous release
    commit(repo, "SHOP-1 first release")
    repo.create_tag("v2.13.0")
    commit(repo, "CHK-101 add coupons")
    offender = commit(repo, "fix typo in README")
    feature = repo.create_head("feature", repo.head.commit)
    feature.checkout()
    commit(repo, "CHK-102 faster cart\n\nlonger body")
    repo.heads.main.checkout()
    commit(repo, "wip")
    repo.git.merge("feature", "--no-ff", "-m", "Merge branch 'feature'")
    repo.create_tag("v2.14.0")
    repo.offender = offender  # type: ignore[attr-defined]
    return repo


def test_offenders_in_the_release_range_are_listed(repo: git.Repo) -> None:
    result = ticket_linked_result(GATE, repo.working_dir, "v2.14.0", NOW)
    assert result.verdict is GateVerdict.FAIL
    offenders = result.evidence["offenders"]
    assert sorted(o["summary"] for o in offenders) == ["fix typo in README", "wip"]
    assert result.evidence["range"] == "v2.13.0..v2.14.0"
    assert result.evidence["commits"] == 4  # the merge is skipped, pre-v2.13.0 is not in range
    shas = {o["sha"] for o in offenders}
    assert repo.offender.hexsha[:7] in shas  # type: ignore[attr-defined]
    assert result.reason.startswith("2 of 4 commits in v2.13.0..v2.14.0 reference no ticket: ")
    assert all(sha in result.reason for sha in shas)


def test_every_commit_with_a_ticket_passes(repo: git.Repo) -> None:
    result = ticket_linked_result(GATE, repo.working_dir, "v2.13.0", NOW)
    # No tag before v2.13.0: the whole history counts, and "initial import" has no ticket.
    assert result.verdict is GateVerdict.FAIL
    assert result.evidence["range"] == "(root)..v2.13.0"
    lenient = TicketLinkedGate(kind="ticket_linked", pattern=r"SHOP-\d+|initial")
    passing = ticket_linked_result(lenient, repo.working_dir, "v2.13.0", NOW)
    assert passing.verdict is GateVerdict.PASS
    assert passing.reason == "2 commits in (root)..v2.13.0 all reference a ticket"


def test_an_unknown_ref_is_unknown(repo: git.Repo) -> None:
    result = ticket_linked_result(GATE, repo.working_dir, "v9.9.9", NOW)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == f"v9.9.9 is not a commit, tag or branch in {repo.working_dir}"


def test_not_a_repository_or_no_repo_configured_is_unknown(tmp_path: Path) -> None:
    result = ticket_linked_result(GATE, str(tmp_path), "v1", NOW)
    assert result.verdict is GateVerdict.UNKNOWN
    assert result.reason == f"{tmp_path} is not a git checkout"
    missing = ticket_linked_result(GATE, None, "v1", NOW)
    assert missing.reason == "release.repo is not set (the git checkout to read commits from)"


async def test_evaluate_local_gates_runs_it_in_a_thread_with_the_release_override(
    repo: git.Repo,
) -> None:
    config = make_config(
        [{"kind": "ticket_linked", "pattern": PATTERN}],
        release={"name": "x", "ref": "v0-does-not-exist", "repo": repo.working_dir},
    )
    results = await evaluate_local_gates(config, "v2.14.0", FakeClock(NOW))
    assert results[0].verdict is GateVerdict.FAIL
    assert results[0].fetched_at == NOW
