"""An OCI distribution simulator for the demo world, faithful to distribution 2.8.2's quirks.

It serves `/v2/`, manifests and indexes (by tag and by digest, with `Docker-Content-Digest` and
an ETag that is the quoted digest, so revalidation answers 304), blobs, `tags/list`, cosign
signature tags and, when asked, the OCI 1.1 referrers API. Like distribution 2.8.2 it
- answers 404 MANIFEST_UNKNOWN ("OCI manifest found, but accept header does not support OCI
  manifests") when Accept lacks the stored manifest's type (httpx sends `*/*`);
- answers MANIFEST_UNKNOWN, not NAME_UNKNOWN, for a manifest of an unknown repository (only
  `tags/list` says NAME_UNKNOWN);
- has no referrers API by default: a plain-text `404 page not found`.
Optionally it requires the Bearer token flow (`credentials=`), with its own realm at `/token`.

The demo scenario drives it through a thread-safe state API:

    sim = OciRegistrySim().start()
    sim.push_image("acme/checkout", "v2.14.0")      # present, unsigned: the gate blocks
    sim.sign("acme/checkout", "v2.14.0")            # a signature appears: the gate passes
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

from cockpit.sim.server import Handler, Request, Response, Router, SimServer, SimService

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
COSIGN_SIGNATURE_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
PLATFORMS = (("linux", "amd64"), ("linux", "arm64"))
TOKEN_LIFETIME_S = 300

_NAME = r"(?P<name>[a-z0-9]+(?:(?:[._]|__|-+|/)[a-z0-9]+)*)"
_API_VERSION = {"Docker-Distribution-Api-Version": "registry/2.0"}
_NOT_SUPPORTED = {
    OCI_MANIFEST: "OCI manifest found, but accept header does not support OCI manifests",
    OCI_INDEX: "OCI index found, but accept header does not support OCI indexes",
}


@dataclass(frozen=True, slots=True)
class _Stored:
    media_type: str
    body: bytes
    digest: str
    artifact_type: str = ""
    subject: str = ""


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _errors(code: str, message: str, status: int, detail: Any = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if detail is not None:
        error["detail"] = detail
    return Response.json({"errors": [error]}, status, headers=_API_VERSION)


def _page_not_found(request: Request) -> Response:
    """What distribution's router answers for a path it does not know (e.g. referrers)."""
    return Response.text("404 page not found\n", 404, headers=_API_VERSION)


class OciRegistrySim(SimService):
    """A loopback OCI registry with a mutable state API for the demo scenario.

    Args:
        referrers: Serve the OCI 1.1 referrers API (distribution 2.8.2 does not: False).
        credentials: `(user, password)`: require the Bearer token flow, with the token realm
            at `<url>/token` accepting these Basic credentials. None: anonymous.
    """

    def __init__(
        self, *, referrers: bool = False, credentials: tuple[str, str] | None = None
    ) -> None:
        self.referrers_supported = referrers
        self.credentials = credentials
        self.requests: deque[tuple[str, str, str]] = deque(maxlen=2000)
        self.token_requests = 0
        self._lock = threading.RLock()
        self._blobs: dict[str, bytes] = {}
        self._manifests: dict[str, dict[str, _Stored]] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._tokens: set[str] = set()
        router = Router()
        router.fallback = _page_not_found
        router.get(r"/v2/?", self._guarded(self._base))
        router.get(r"/token", self._token)
        router.get(rf"/v2/{_NAME}/manifests/(?P<ref>[^/]+)", self._guarded(self._manifest))
        router.get(
            rf"/v2/{_NAME}/blobs/(?P<digest>sha256:[a-f0-9]{{64}})", self._guarded(self._blob)
        )
        router.get(rf"/v2/{_NAME}/tags/list", self._guarded(self._tag_list))
        router.get(
            rf"/v2/{_NAME}/referrers/(?P<digest>sha256:[a-f0-9]{{64}})",
            self._guarded(self._referrers),
        )
        self.server = SimServer(router, name="oci")

    # --- lifecycle -------------------------------------------------------------------------

    # --- state API -------------------------------------------------------------------------

    def push_image(
        self, repo: str, tag: str, *, multi_arch: bool = False, revision: str = ""
    ) -> str:
        """Push a tiny image (an OCI index of two platforms when `multi_arch`); its digest.

        The content is a pure function of `repo`, `tag` and `revision`, so digests are stable
        across runs; pushing again with another `revision` moves the tag (a rebuild).
        """
        with self._lock:
            if not multi_arch:
                digest = self._push_platform_image(repo, tag, revision, PLATFORMS[0])
            else:
                entries = []
                for platform in PLATFORMS:
                    child = self._push_platform_image(repo, tag, revision, platform)
                    stored = self._manifests[repo][child]
                    entries.append(
                        {
                            "mediaType": OCI_MANIFEST,
                            "digest": child,
                            "size": len(stored.body),
                            "platform": {"os": platform[0], "architecture": platform[1]},
                        }
                    )
                index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
                digest = self._store(repo, OCI_INDEX, _encode(index))
            self._tags.setdefault(repo, {})[tag] = digest
            return digest

    def sign(self, repo: str, tag: str, *, via: Literal["auto", "tag", "referrer"] = "auto") -> str:
        """Sign what `repo:tag` points at, the way cosign does; the signature manifest's digest.

        `via="tag"` writes cosign's legacy `sha256-<hex>.sig` tag; `via="referrer"` pushes an
        OCI 1.1 artifact whose `subject` is the image (visible through the referrers API);
        `auto` picks the referrers API when it is served, the tag otherwise.
        """
        with self._lock:
            subject = self.digest(repo, tag)
            if subject is None:
                raise KeyError(f"{repo}:{tag} is not pushed")
            target = self._manifests[repo][subject]
            payload = _encode(
                {
                    "critical": {
                        "identity": {"docker-reference": repo},
                        "image": {"docker-manifest-digest": subject},
                        "type": "cosign container image signature",
                    },
                    "optional": None,
                }
            )
            fake_signature = base64.b64encode(hashlib.sha256(payload).digest()).decode()
            layer = {
                **self._put_blob(payload, COSIGN_SIMPLESIGNING),
                "annotations": {COSIGN_SIGNATURE_ANNOTATION: fake_signature},
            }
            use_referrer = via == "referrer" or (via == "auto" and self.referrers_supported)
            manifest: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST}
            if use_referrer:
                manifest["artifactType"] = COSIGN_SIGNATURE_ARTIFACT
                manifest["config"] = self._put_blob(b"{}", OCI_EMPTY)
            else:
                manifest["config"] = self._put_blob(
                    _encode({"rootfs": {"type": "layers"}}), OCI_CONFIG
                )
            manifest["layers"] = [layer]
            if use_referrer:
                manifest["subject"] = {
                    "mediaType": target.media_type,
                    "digest": subject,
                    "size": len(target.body),
                }
                return self._store(
                    repo,
                    OCI_MANIFEST,
                    _encode(manifest),
                    artifact_type=COSIGN_SIGNATURE_ARTIFACT,
                    subject=subject,
                )
            digest = self._store(repo, OCI_MANIFEST, _encode(manifest))
            self._tags[repo][subject.replace(":", "-", 1) + ".sig"] = digest
            return digest

    def unsign(self, repo: str, tag: str) -> None:
        """Remove every signature of what `repo:tag` points at (tag and referrers)."""
        with self._lock:
            subject = self.digest(repo, tag)
            if subject is None:
                return
            self._tags.get(repo, {}).pop(subject.replace(":", "-", 1) + ".sig", None)
            manifests = self._manifests.get(repo, {})
            for digest in [d for d, m in manifests.items() if m.subject == subject]:
                del manifests[digest]

    def delete_tag(self, repo: str, tag: str) -> None:
        with self._lock:
            self._tags.get(repo, {}).pop(tag, None)

    def digest(self, repo: str, tag: str) -> str | None:
        """The digest `repo:tag` points at, or None."""
        with self._lock:
            return self._tags.get(repo, {}).get(tag)

    # --- storage ---------------------------------------------------------------------------

    def _put_blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        digest = _digest(data)
        self._blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def _store(
        self, repo: str, media_type: str, body: bytes, *, artifact_type: str = "", subject: str = ""
    ) -> str:
        digest = _digest(body)
        stored = _Stored(media_type, body, digest, artifact_type, subject)
        self._manifests.setdefault(repo, {})[digest] = stored
        self._tags.setdefault(repo, {})
        return digest

    def _push_platform_image(
        self, repo: str, tag: str, revision: str, platform: tuple[str, str]
    ) -> str:
        os_name, arch = platform
        config = {
            "architecture": arch,
            "os": os_name,
            "config": {"Labels": {"org.opencontainers.image.version": tag}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
        layer = f"{repo}:{tag}:{revision}:{os_name}/{arch}\n".encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": self._put_blob(_encode(config), OCI_CONFIG),
            "layers": [self._put_blob(layer, OCI_LAYER)],
        }
        return self._store(repo, OCI_MANIFEST, _encode(manifest))

    # --- routes ----------------------------------------------------------------------------

    def _guarded(self, handler: Handler) -> Handler:
        """Log the request and, when credentials are required, demand a realm token."""

        def guarded(request: Request) -> Response:
            self.requests.append((request.method, request.path, request.header("accept")))
            if self.credentials is None:
                return handler(request)
            authorization = request.header("authorization")
            if authorization.startswith("Bearer ") and authorization[7:] in self._tokens:
                return handler(request)
            challenge = f'Bearer realm="{request.base_url}/token",service="cockpit-sim"'
            name = request.params.get("name")
            if name:
                challenge += f',scope="repository:{name}:pull"'
            response = _errors("UNAUTHORIZED", "authentication required", 401)
            response.headers["WWW-Authenticate"] = challenge
            return response

        return guarded

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        expected = ""
        if self.credentials is not None:
            expected = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
        if request.header("authorization") != expected:
            return Response.json({"details": "incorrect username or password"}, 401)
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens.add(token)
        body = {"token": token, "access_token": token, "expires_in": TOKEN_LIFETIME_S}
        return Response.json(body)

    def _base(self, request: Request) -> Response:
        return Response.json({}, headers=_API_VERSION)

    def _manifest(self, request: Request) -> Response:
        repo, ref = request.params["name"], request.params["ref"]
        with self._lock:
            digest = ref if ref.startswith("sha256:") else self._tags.get(repo, {}).get(ref)
            stored = self._manifests.get(repo, {}).get(digest or "")
        if stored is None:
            detail = {"Tag": ref} if not ref.startswith("sha256:") else None
            return _errors("MANIFEST_UNKNOWN", "manifest unknown", 404, detail)
        accepted = {
            part.split(";")[0].strip().lower()
            for part in request.header("accept").split(",")
            if part.strip()
        }
        if stored.media_type not in accepted:
            return _errors("MANIFEST_UNKNOWN", _NOT_SUPPORTED[stored.media_type], 404)
        etag = f'"{stored.digest}"'
        headers = {
            **_API_VERSION,
            "Content-Type": stored.media_type,
            "Docker-Content-Digest": stored.digest,
            "Etag": etag,
        }
        if etag in {t.strip() for t in request.header("if-none-match").split(",")}:
            return Response(304, {k: v for k, v in headers.items() if k != "Content-Type"})
        return Response(200, headers, stored.body)

    def _blob(self, request: Request) -> Response:
        with self._lock:
            data = self._blobs.get(request.params["digest"])
        if data is None:
            return _errors("BLOB_UNKNOWN", "blob unknown to registry", 404)
        headers = {**_API_VERSION, "Docker-Content-Digest": request.params["digest"]}
        return Response(200, {**headers, "Content-Type": "application/octet-stream"}, data)

    def _tag_list(self, request: Request) -> Response:
        repo = request.params["name"]
        with self._lock:
            if repo not in self._manifests:
                detail = {"name": repo}
                return _errors("NAME_UNKNOWN", "repository name not known to registry", 404, detail)
            tags = list(self._tags.get(repo, {}))
        return Response.json({"name": repo, "tags": tags}, headers=_API_VERSION)

    def _referrers(self, request: Request) -> Response:
        if not self.referrers_supported:
            return _page_not_found(request)
        repo, subject = request.params["name"], request.params["digest"]
        wanted = request.query.get("artifactType", "")
        with self._lock:
            found = [m for m in self._manifests.get(repo, {}).values() if m.subject == subject]
        descriptors = [
            {
                "mediaType": m.media_type,
                "digest": m.digest,
                "size": len(m.body),
                "artifactType": m.artifact_type,
            }
            for m in found
            if not wanted or m.artifact_type == wanted
        ]
        headers = {**_API_VERSION, "Content-Type": OCI_INDEX}
        if wanted:
            headers["OCI-Filters-Applied"] = "artifactType"
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
        return Response(200, headers, _encode(index))
