"""`cockpit init`: a commented starter config, pre-filled from the current git checkout.

When the checkout's `origin` is on GitHub or GitLab the starter names that repository, its
default branch and the API to poll; otherwise it is a generic starter with commented examples.
Either way it validates as written, and tokens are referenced, never written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml

from cockpit.errors import ConfigError

_SCHEME_URL = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?(?P<host>[^/:?#]+)(?::\d*)?/(?P<path>.+)$"
)
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^:/]+):(?!//)(?P<path>.+)$")
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./@-]*$")


@dataclass(frozen=True)
class Remote:
    """Where a git remote points: host and repository path (no credentials, no `.git`).

    Attributes:
        host: Lower-case host name, without port.
        path: `owner/name` (GitHub) or `group/subgroup/name` (GitLab).
    """

    host: str
    path: str

    @property
    def kind(self) -> str | None:
        """`github`, `gitlab`, or None for any other host."""
        if self.host == "github.com" and self.path.count("/") == 1:
            return "github"
        if self.host == "gitlab.com" or "gitlab" in self.host:
            return "gitlab"
        return None


def parse_remote(url: str) -> Remote | None:
    """Parse SSH (`git@host:a/b.git`, `ssh://git@host/a/b.git`) and HTTPS remote URLs.

    Any user name or token in the URL is dropped.
    """
    text = url.strip()
    match = _SCHEME_URL.match(text) or _SCP_LIKE.match(text)
    if match is None:
        return None
    path = match.group("path").strip("/").removesuffix(".git").strip("/")
    if not path or "/" not in path:
        return None
    return Remote(match.group("host").lower(), path)


@dataclass(frozen=True)
class _Checkout:
    remote: Remote | None
    workdir: str
    branch: str


def _checkout(cwd: Path) -> _Checkout | None:
    """What git knows about the checkout at `cwd`, or None (no git, no repository)."""
    try:
        import git
    except ImportError:  # GitPython refuses to import without a git executable
        return None
    try:
        repo = git.Repo(cwd, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    with repo:
        remote: Remote | None = None
        try:
            remote = parse_remote(repo.remote("origin").url)
        except (ValueError, git.GitError, OSError):
            remote = None
        return _Checkout(remote, str(repo.working_tree_dir or cwd), _default_branch(repo))


def _default_branch(repo: object) -> str:
    """origin's HEAD branch, else the checked-out branch, else `main`."""
    import git

    assert isinstance(repo, git.Repo)
    try:
        return str(repo.remote("origin").refs["HEAD"].reference.remote_head)
    except (ValueError, IndexError, TypeError, AttributeError, git.GitError, OSError):
        pass
    try:
        return str(repo.active_branch.name)
    except (TypeError, ValueError, git.GitError, OSError):  # detached HEAD, empty repository
        return "main"


def _q(text: str) -> str:
    """A YAML scalar that survives flow context: plain when safe, else double-quoted."""
    if _PLAIN.match(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text)


_HEADER = """\
# Release Cockpit config: a starter written by `cockpit init`.
# Every key is described in CONFIG.md; check this file any time with `cockpit validate`.
# Secrets are never written here: reference them as {env: VAR} or {keyring: cockpit/NAME}
# (`cockpit secret set NAME` stores one in the OS keyring).

environment: staging\t# shown in the header; "production" or "prod" is unmistakable
read_only: true\t# true: no mutating action is bound; set false to act

"""

_FROM_REMOTE = Template("""\
release:\t# what is being shipped; `cockpit --release REF` overrides ref
  name: $name\t# shown in the header: add the version, such as checkout 2.14.0
  ref: $branch\t# the tag, branch or SHA you ship, such as v1.4.0
  repo: $workdir\t# local git checkout, for release notes and traceability

sources:\t# named connections to real systems
  $source:
    kind: $kind
    url: $url$url_comment
    token: {env: $token_var}$token_comment
    interval: 15s\t# poll interval (500ms, 15s, 2m, 1h)
    timeout: 10s
  # registry: {kind: oci-registry, url: https://ghcr.io, token: {env: GHCR_TOKEN}}
  # prom:     {kind: prometheus, url: http://127.0.0.1:9090}

services:
  - name: $service
    ci: {source: $source, $target: $path, branch: $branch}
    # artifact: {source: registry, image: $path, tag: "{release.ref}"}

gates:\t# the go/no-go checklist, in display order
  - {kind: ci_green, service: $service}
  - {kind: approvals, service: $service, min: 1}
  - {kind: manual, title: Release notes reviewed}
  # - {kind: ticket_linked, pattern: '[A-Z]+-\\d+'}
  # - {kind: command, title: Smoke test, run: [./scripts/smoke.sh, staging], timeout: 2m}
""")

_GENERIC = Template("""\
release:\t# what is being shipped; `cockpit --release REF` overrides ref
  name: my service 1.0.0
  ref: $branch\t# the tag, branch or SHA you ship, such as v1.4.0
$repo_line
# Named connections to real systems. Replace {} with your sources, for example:
#   gh:
#     kind: github
#     url: https://api.github.com
#     token: {env: GITHUB_TOKEN}
#   gl: {kind: gitlab, url: https://gitlab.example.com, token: {env: GITLAB_TOKEN}}
#   prom: {kind: prometheus, url: http://127.0.0.1:9090}
sources: {}

# The services being released. Replace [] with your services, for example:
#   - name: checkout
#     ci: {source: gh, repo: acme/checkout, branch: main}
#   - name: payments
#     ci: {source: gl, project: acme/payments, branch: main}
services: []

gates:\t# the go/no-go checklist, in display order
  - {kind: manual, title: Release notes reviewed}
  # - {kind: ci_green, service: checkout}
  # - {kind: approvals, service: checkout, min: 2}
""")


def starter_config(cwd: Path) -> str:
    """The commented starter YAML for the git checkout at (or above) `cwd`."""
    checkout = _checkout(cwd)
    remote = checkout.remote if checkout else None
    kind = remote.kind if remote else None
    if checkout is None or remote is None or kind is None:
        branch = checkout.branch if checkout else "main"
        repo_line = f"  repo: {_q(checkout.workdir)}\t# local git checkout\n" if checkout else ""
        return _align(_HEADER + _GENERIC.substitute(branch=_q(branch), repo_line=repo_line))
    service = remote.path.rsplit("/", 1)[-1]
    github = kind == "github"
    fields = {
        "name": _q(service),
        "branch": _q(checkout.branch),
        "workdir": _q(checkout.workdir),
        "source": "gh" if github else "gl",
        "kind": kind,
        "url": "https://api.github.com" if github else _q(f"https://{remote.host}"),
        "url_comment": "\t# GitHub Enterprise: https://HOST/api/v3" if github else "",
        "token_var": "GITHUB_TOKEN" if github else "GITLAB_TOKEN",
        "token_comment": f"\t# or `cockpit secret set {'gh' if github else 'gl'}` and "
        f"{{keyring: cockpit/{'gh' if github else 'gl'}}}",
        "service": _q(service),
        "target": "repo" if github else "project",
        "path": _q(remote.path),
    }
    return _align(_HEADER + _FROM_REMOTE.substitute(fields))


def _align(text: str, column: int = 32) -> str:
    """Line up the trailing comments (marked with a tab in the templates) at one column."""
    lines = []
    for line in text.splitlines():
        code, tab, comment = line.partition("\t#")
        lines.append(f"{code.ljust(column)} #{comment}" if tab else line)
    return "\n".join(lines) + "\n"


def write_starter(path: Path, cwd: Path) -> Path:
    """Write the starter to `path` (creating its folders), never over an existing file.

    Raises:
        ConfigError: the file exists, or cannot be written.
    """
    if path.exists():
        raise ConfigError(
            f"{path} already exists: not overwriting it",
            hint="edit it and run `cockpit validate`, or give `cockpit init` another path",
        )
    text = starter_config(cwd)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise ConfigError(f"{path} already exists: not overwriting it") from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
