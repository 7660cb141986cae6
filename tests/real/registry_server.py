"""A real OCI registry (Debian's `docker-registry`, distribution 2.8.2) on loopback, and pushes.

Import the fixture into a test module (`from tests.real.registry_server import registry_server`).
The registry gets its own free port on 127.0.0.1 and a temp root directory, is waited for with a
bounded deadline on `GET /v2/`, and is stopped by its PID. If the binary is missing or the server
does not come up, the test FAILS: scripts/install-and-test installs the package.

Images are pushed with plain HTTP, the way any client does it without docker: each blob with
`POST /v2/<name>/blobs/uploads/` then `PUT <location>&digest=...`, then the manifest with
`PUT /v2/<name>/manifests/<ref>` and its Content-Type.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

BINARY = "docker-registry"
START_DEADLINE_S = 15.0
STOP_DEADLINE_S = 10.0
INSTALL_HINT = (
    "scripts/install-and-test installs it "
    "(apt-get install docker-registry; the binary is /usr/bin/docker-registry)"
)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"

CONFIG_TEMPLATE = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


@dataclass(frozen=True)
class RegistryServer:
    """A running registry: its base URL, PID and files."""

    url: str
    pid: int
    root: Path
    log: Path

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(STOP_DEADLINE_S)


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> str | None:
    """None when `GET /v2/` answers 200 before the deadline; otherwise why not."""
    deadline = time.monotonic() + START_DEADLINE_S
    last = "no answer yet"
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return f"it exited with code {process.returncode}"
            try:
                response = client.get(f"{url}/v2/")
                if response.status_code == 200:
                    return None
                last = f"GET /v2/ answered HTTP {response.status_code}"
            except httpx.TransportError as exc:
                last = f"GET /v2/ failed: {exc!r}"
            time.sleep(0.05)
    return f"it did not answer GET /v2/ within {START_DEADLINE_S:g}s ({last})"


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A fresh distribution 2.8.2 registry on 127.0.0.1, stopped by PID at teardown."""
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.fail(f"{BINARY} is not installed: {INSTALL_HINT}", pytrace=False)
    base = tmp_path_factory.mktemp("registry")
    problem = ""
    for attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        root, log, config = base / f"root{attempt}", base / f"log{attempt}.txt", base / "config.yml"
        root.mkdir()
        config.write_text(CONFIG_TEMPLATE.format(root=root, port=port))
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [binary, "serve", str(config)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        url = f"http://127.0.0.1:{port}"
        server = RegistryServer(url, process.pid, root, log)
        why = _wait_ready(process, url)
        if why is None:
            try:
                yield server
            finally:
                _stop(process)
            return
        _stop(process)
        problem = f"{why}; log:\n{server.log_tail()}"
        if "address already in use" not in problem:
            break
    pytest.fail(f"{BINARY} did not start: {problem}\n({INSTALL_HINT})", pytrace=False)


# --- pushing over plain HTTP ----------------------------------------------------------------


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def push_blob(
    client: httpx.Client, url: str, repo: str, data: bytes, media_type: str
) -> dict[str, Any]:
    """Monolithic blob upload: POST to start, PUT with `digest=` to finish; its descriptor."""
    digest = digest_of(data)
    started = client.post(f"{url}/v2/{repo}/blobs/uploads/")
    assert started.status_code == 202, started.text
    location = started.headers["location"]
    separator = "&" if "?" in location else "?"
    finished = client.put(
        f"{location}{separator}digest={digest}",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert finished.status_code == 201, finished.text
    assert finished.headers["docker-content-digest"] == digest
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def push_manifest(
    client: httpx.Client, url: str, repo: str, ref: str, body: bytes, media_type: str
) -> str:
    """PUT a manifest under a tag (or digest); returns the digest the registry computed."""
    response = client.put(
        f"{url}/v2/{repo}/manifests/{ref}", content=body, headers={"Content-Type": media_type}
    )
    assert response.status_code == 201, response.text
    digest = response.headers["docker-content-digest"]
    assert digest == digest_of(body)
    return digest


def push_image(
    client: httpx.Client, url: str, repo: str, tag: str, *, arch: str = "amd64"
) -> tuple[str, bytes]:
    """A tiny single-platform OCI image (config + one layer) under `tag`; digest and body."""
    config = encode(
        {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    )
    layer = f"{repo}:{tag}:{arch}\n".encode()
    manifest = encode(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": push_blob(client, url, repo, config, OCI_CONFIG),
            "layers": [push_blob(client, url, repo, layer, OCI_LAYER)],
        }
    )
    return push_manifest(client, url, repo, tag, manifest, OCI_MANIFEST), manifest


def push_index(client: httpx.Client, url: str, repo: str, tag: str) -> str:
    """An OCI index of linux/amd64 and linux/arm64 images under `tag`; the index digest."""
    entries = []
    for arch in ("amd64", "arm64"):
        digest, body = push_image(client, url, repo, f"{tag}-{arch}", arch=arch)
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": len(body),
                "platform": {"os": "linux", "architecture": arch},
            }
        )
    index = encode({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    return push_manifest(client, url, repo, tag, index, OCI_INDEX)


def push_cosign_signature(client: httpx.Client, url: str, repo: str, signed: str) -> str:
    """A cosign-style signature of `signed` (a digest) at tag `sha256-<hex>.sig`; its digest."""
    payload = encode(
        {
            "critical": {
                "identity": {"docker-reference": repo},
                "image": {"docker-manifest-digest": signed},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    )
    layer = push_blob(client, url, repo, payload, COSIGN_SIMPLESIGNING)
    layer["annotations"] = {"dev.cosignproject.cosign/signature": "MEUCIQDtest"}
    config = push_blob(client, url, repo, encode({"rootfs": {"type": "layers"}}), OCI_CONFIG)
    manifest = encode(
        {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}
    )
    tag = signed.replace(":", "-", 1) + ".sig"
    return push_manifest(client, url, repo, tag, manifest, OCI_MANIFEST)
