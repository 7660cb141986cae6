"""A scriptable fake registry for `httpx.MockTransport`, and helpers to build adapters on it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx

from cockpit.clock import FakeClock
from cockpit.config.models import ArtifactTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.sources.oci import OciRegistryAdapter

REGISTRY = "https://registry.example.com"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
COSIGN_SIG = "application/vnd.dev.cosign.artifact.sig.v1+json"

Route = Callable[[httpx.Request], httpx.Response]


def digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def image_manifest(label: str = "app") -> bytes:
    return encode(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest(label.encode()),
                "size": len(label),
            },
            "layers": [],
        }
    )


def manifest_response(
    body: bytes, media_type: str = OCI_MANIFEST, *, with_digest: bool = True, etag: bool = True
) -> httpx.Response:
    headers = {"Content-Type": media_type}
    if with_digest:
        headers["Docker-Content-Digest"] = digest(body)
    if etag:
        headers["Etag"] = f'"{digest(body)}"'
    return httpx.Response(200, headers=headers, content=body)


def revalidating(body: bytes, media_type: str = OCI_MANIFEST) -> Route:
    """A manifest route that answers 304 when the client sends the digest ETag back."""

    def route(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == f'"{digest(body)}"':
            return httpx.Response(304)
        return manifest_response(body, media_type)

    return route


def registry_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"code": code, "message": message}]})


def plain_404(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        404, text="404 page not found\n", headers={"Content-Type": "text/plain; charset=utf-8"}
    )


class FakeRegistry:
    """Routes by exact path (host included for other hosts); records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[httpx.Request] = []

    def add(self, path: str, route: Route | httpx.Response) -> None:
        if isinstance(route, httpx.Response):
            fixed = route
            self.routes[path] = lambda request: fixed
        else:
            self.routes[path] = route

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host_path = f"{request.url.host}{request.url.path}"
        route = self.routes.get(host_path) or self.routes.get(request.url.path)
        if route is None:
            return plain_404(request)
        response = route(request)
        # A fresh copy each time: httpx responses are single-use.
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.content
        )


def make_adapter(
    registry: FakeRegistry,
    targets: list[tuple[str, ArtifactTarget]] | None = None,
    *,
    release_ref: str = "v2.14.0",
    url: str = REGISTRY,
    token: str | None = None,
    user: str | None = None,
    clock: FakeClock | None = None,
) -> OciRegistryAdapter:
    client = httpx.AsyncClient(transport=httpx.MockTransport(registry))
    http = SourceHttp(client, "registry", url, clock=clock or FakeClock())
    source = Source(kind="oci-registry", url=url, interval=30.0)
    targets = targets or [("checkout", ArtifactTarget(source="registry", image="acme/checkout"))]
    return OciRegistryAdapter(
        "registry", source, targets, release_ref, http, token=token, user=user
    )
