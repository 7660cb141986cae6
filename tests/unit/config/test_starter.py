"""`cockpit init`'s starter: pre-filled from the git remote, and valid as written."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
import yaml

from cockpit.config.loader import check_config_text
from cockpit.config.starter import Remote, parse_remote, starter_config, write_starter
from cockpit.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "remote", "kind"),
    [
        ("git@github.com:acme/checkout.git", Remote("github.com", "acme/checkout"), "github"),
        ("https://github.com/acme/checkout.git", Remote("github.com", "acme/checkout"), "github"),
        ("https://github.com/acme/checkout", Remote("github.com", "acme/checkout"), "github"),
        ("ssh://git@github.com/acme/checkout.git", Remote("github.com", "acme/checkout"), "github"),
        (
            "https://x-token:ghp_abc@GitHub.com/acme/checkout.git/",
            Remote("github.com", "acme/checkout"),
            "github",
        ),
        ("git@gitlab.com:group/sub/pay.git", Remote("gitlab.com", "group/sub/pay"), "gitlab"),
        (
            "ssh://git@gitlab.example.com:2222/group/sub/pay.git",
            Remote("gitlab.example.com", "group/sub/pay"),
            "gitlab",
        ),
        (
            "https://gitlab.internal.acme.io/platform/pay",
            Remote("gitlab.internal.acme.io", "platform/pay"),
            "gitlab",
        ),
        ("git@bitbucket.org:acme/x.git", Remote("bitbucket.org", "acme/x"), None),
        ("https://github.com/acme/checkout/tree", Remote("github.com", "acme/checkout/tree"), None),
    ],
)
def test_parse_remote(url: str, remote: Remote, kind: str | None) -> None:
    parsed = parse_remote(url)
    assert parsed == remote
    assert parsed.kind == kind


@pytest.mark.parametrize("url", ["", "not a url", "/srv/git/checkout.git", "git@github.com:x"])
def test_unparseable_remotes(url: str) -> None:
    assert parse_remote(url) is None


def make_repo(path: Path, url: str | None) -> Path:
    repo = git.Repo.init(path, initial_branch="trunk")
    if url is not None:
        repo.create_remote("origin", url)
    repo.close()
    return path


def assert_valid(text: str) -> dict[str, object]:
    config, problems = check_config_text(text, "starter.yaml")
    assert [str(p) for p in problems] == []
    assert config is not None
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_starter_from_a_github_checkout(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "checkout", "git@github.com:acme/checkout.git")
    text = starter_config(repo)
    data = assert_valid(text)
    assert data["sources"] == {
        "gh": {
            "kind": "github",
            "url": "https://api.github.com",
            "token": {"env": "GITHUB_TOKEN"},
            "interval": "15s",
            "timeout": "10s",
        }
    }
    assert data["services"] == [
        {"name": "checkout", "ci": {"source": "gh", "repo": "acme/checkout", "branch": "trunk"}}
    ]
    assert data["release"]["repo"] == str(repo)  # type: ignore[index]
    assert {"kind": "ci_green", "service": "checkout"} in data["gates"]  # type: ignore[operator]
    assert text.startswith("# Release Cockpit config")


def test_starter_from_a_gitlab_checkout_found_from_a_subfolder(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "pay", "ssh://git@gitlab.example.com/group/sub/pay.git")
    (repo / "src" / "deep").mkdir(parents=True)
    data = assert_valid(starter_config(repo / "src" / "deep"))
    assert data["sources"] == {
        "gl": {
            "kind": "gitlab",
            "url": "https://gitlab.example.com",
            "token": {"env": "GITLAB_TOKEN"},
            "interval": "15s",
            "timeout": "10s",
        }
    }
    assert data["services"] == [
        {"name": "pay", "ci": {"source": "gl", "project": "group/sub/pay", "branch": "trunk"}}
    ]


def test_credentials_in_the_remote_never_reach_the_starter(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", "https://oauth2:glpat-SeCrEt@gitlab.com/acme/pay.git")
    text = starter_config(repo)
    assert "glpat-SeCrEt" not in text
    assert "oauth2" not in text
    assert_valid(text)


def test_generic_starter_outside_git(tmp_path: Path) -> None:
    text = starter_config(tmp_path)
    data = assert_valid(text)
    assert data["sources"] == {}
    assert data["services"] == []
    assert "repo" not in data["release"]  # type: ignore[operator]
    assert "#     token: {env: GITHUB_TOKEN}" in text  # commented examples


@pytest.mark.parametrize("url", [None, "git@bitbucket.org:acme/x.git"])
def test_generic_starter_for_other_hosts_or_no_remote(tmp_path: Path, url: str | None) -> None:
    repo = make_repo(tmp_path / "x", url)
    data = assert_valid(starter_config(repo))
    assert data["sources"] == {}
    assert data["release"] == {  # still pre-filled from the checkout
        "name": "my service 1.0.0",
        "ref": "trunk",
        "repo": str(repo),
    }


def test_odd_names_are_quoted_so_the_starter_stays_valid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "dir with: colon #1", "git@github.com:acme/true.git")
    data = assert_valid(starter_config(repo))
    assert data["release"]["repo"] == str(repo)  # type: ignore[index]
    assert data["services"][0]["name"] == "true"  # type: ignore[index]


def test_write_starter_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "config.yaml"
    assert write_starter(target, tmp_path) == target
    assert_valid(target.read_text())


def test_write_starter_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("mine\n")
    with pytest.raises(ConfigError) as caught:
        write_starter(target, tmp_path)
    assert caught.value.message == f"{target} already exists: not overwriting it"
    assert "cockpit init" in caught.value.hint
    assert target.read_text() == "mine\n"
