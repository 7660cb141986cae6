"""A real OpenSSH server on loopback, with its own host key, client key and authorized_keys.

Test modules import the `ssh_server` fixture from here; the benchmark (`python -m bench`) uses
`SshServer` directly to measure bytes over an SSH connection. Everything lives in a temp dir:
host key, client key, `sshd_config` (ListenAddress 127.0.0.1, a free port, no PAM, no
passwords, root allowed because the tests run as root), the PID file and the log. `sshd -D -e`
runs in the foreground of its own process, which is stopped by its PID.

Missing binaries or a server that does not accept connections FAIL the tests (they never skip):
scripts/install-and-test installs the Debian packages `openssh-server`, `openssh-client` and `tmux`.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import pytest

INSTALL_HINT = (
    "scripts/install-and-test installs it (Debian packages `openssh-server` and `openssh-client`)"
)
START_TIMEOUT_S = 10.0
SSHD = "/usr/sbin/sshd"


class SshServerError(RuntimeError):
    """sshd or ssh is missing, or the server did not come up."""


def free_port() -> int:
    """A port nobody listens on right now (bind 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str, fallback: str | None = None) -> str:
    """The path of `name` (or `fallback` when it exists); SshServerError when missing."""
    path = shutil.which(name) or (fallback if fallback and os.path.exists(fallback) else None)
    if path is None:
        raise SshServerError(f"`{name}` is not installed: {INSTALL_HINT}")
    return path


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cockpit-test", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


class SshServer:
    """sshd on 127.0.0.1:`port`, accepting only the generated client key.

    Args:
        workdir: Where keys, config, PID file and log go (a fresh temp dir when None).

    Use `ssh_argv(remote_command, port=...)` to build a client command line; pass `port` to go
    through a proxy (the benchmark's byte meter) instead of straight to the server.
    """

    def __init__(self, workdir: Path | None = None) -> None:
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="cockpit-sshd-"))
        self.port = 0
        self.user = getpass.getuser()
        self.client_key = self.workdir / "client_ed25519"
        self.log = self.workdir / "sshd.log"
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> SshServer:
        sshd = find_binary("sshd", SSHD)
        find_binary("ssh")
        find_binary("ssh-keygen")
        host_key = self.workdir / "host_ed25519"
        _keygen(host_key)
        _keygen(self.client_key)
        authorized = self.workdir / "authorized_keys"
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        authorized.chmod(0o600)
        self.port = free_port()
        config = self.workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    "ListenAddress 127.0.0.1",
                    f"Port {self.port}",
                    f"HostKey {host_key}",
                    f"AuthorizedKeysFile {authorized}",
                    f"PidFile {self.workdir / 'sshd.pid'}",
                    "StrictModes no",
                    "UsePAM no",
                    "PermitRootLogin yes",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PrintMotd no",
                    "PrintLastLog no",
                    "Banner none",
                    "ClientAliveInterval 0",
                    "X11Forwarding no",
                    "AllowTcpForwarding no",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        # sshd refuses to start without its privilege-separation directory.
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        log = self.log.open("wb")
        self.process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        """The port accepts and a real login runs `true` (both bounded by START_TIMEOUT_S)."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = f"sshd exited with {self.process.returncode}:\n{self._tail()}"
                self.stop()
                raise SshServerError(message)
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                break
            time.sleep(0.05)
        else:
            message = f"sshd did not listen within {START_TIMEOUT_S}s:\n{self._tail()}"
            self.stop()
            raise SshServerError(message)
        login = subprocess.run(
            self.ssh_argv("true", tty=False),
            capture_output=True,
            text=True,
            timeout=max(1.0, deadline - time.monotonic()),
            check=False,
        )
        if login.returncode != 0:
            message = (
                f"ssh login to 127.0.0.1:{self.port} failed ({login.returncode}): "
                f"{login.stderr.strip()}\n{self._tail()}"
            )
            self.stop()
            raise SshServerError(message)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SshServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"

    # -- clients -------------------------------------------------------------------------

    def ssh_argv(
        self, remote_command: str, *, tty: bool = True, port: int | None = None
    ) -> list[str]:
        """`ssh [-t] ... user@127.0.0.1 remote_command` with the test key and no user config."""
        return [
            "ssh",
            *(["-t"] if tty else ["-T"]),
            "-F",
            "/dev/null",
            "-p",
            str(port or self.port),
            "-i",
            str(self.client_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=5",
            f"{self.user}@127.0.0.1",
            remote_command,
        ]


def remote_shell_command(repo: Path, argv: Sequence[str], env: dict[str, str]) -> str:
    """`cd REPO && K=V ... ARGV` for the remote login shell, every part quoted."""
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"cd {shlex.quote(str(repo))} && {exports} {shlex.join(argv)}"


@pytest.fixture(scope="module")
def ssh_server() -> Iterator[SshServer]:
    """A running sshd on loopback for the module's tests; stopped by PID afterwards."""
    try:
        server = SshServer().start()
    except SshServerError as exc:
        pytest.fail(
            f"{exc}\n(scripts/install-and-test installs openssh-server and tmux)", pytrace=False
        )
    try:
        yield server
    finally:
        server.stop()
