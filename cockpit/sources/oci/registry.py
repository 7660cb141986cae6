"""The OCI registry adapter: is the release image there, which digest, and is it signed?

For each artifact target it GETs `/v2/<image>/manifests/<tag>` with an Accept header listing the
OCI and Docker manifest and index types (distribution 2.8 answers 404 MANIFEST_UNKNOWN for an
OCI manifest when Accept lacks them), conditionally (the ETag is the digest, so an unchanged tag
costs a 304). The digest comes from `Docker-Content-Digest`, checked against the body's hash.

Signatures: first the OCI 1.1 referrers API; a registry without it (404, as distribution 2.8.2
answers in plain text) is remembered for an hour and we fall back to cosign's signature tag
`sha256-<hex>.sig`, then to the OCI referrers tag schema `sha256-<hex>` that newer cosign
writes. `detail` says which method answered.

A missing tag or repository is a definite `present=False` (a failing gate, not an unknown one);
a registry that cannot be read raises a typed `SourceError` naming the source.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from cockpit.config.models import ArtifactTarget, Source
from cockpit.engine.http import SourceHttp, describe_body
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.release_data import ArtifactStatus
from cockpit.sources.base import SourceData
from cockpit.sources.oci.auth import RegistryAuth
from cockpit.sources.oci.manifest import (
    DIGEST_PATTERN,
    MANIFEST_ACCEPT,
    OCI_INDEX,
    TAG_PATTERN,
    Manifest,
    cosign_signature_tag,
    digest_of,
    is_cosign_signature_manifest,
    parse_json,
    parse_manifest,
    referrers_tag,
    registry_errors,
    signature_referrer,
)
from cockpit.text import sanitize

# A registry that does not implement the referrers API is asked again after this long.
REFERRERS_RECHECK_S = 3600.0
# Statuses meaning "this registry has no referrers API" (the spec: anything but 200).
REFERRERS_UNSUPPORTED = frozenset({400, 404, 405, 406, 501})
REFERRERS_MAX_PAGES = 5
DOCKER_HUB_HOSTS = frozenset({"registry-1.docker.io", "index.docker.io", "docker.io"})
REPOSITORY_PATTERN = re.compile(
    r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
)
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True, slots=True)
class _Reply:
    """A registry answer: the response, or the cached body when the server said 304."""

    status: int
    headers: httpx.Headers
    body: bytes
    response: httpx.Response
    from_cache: bool = False


@dataclass(slots=True)
class _Cached:
    etag: str
    body: bytes
    headers: httpx.Headers


@dataclass(frozen=True, slots=True)
class _Signature:
    signed: bool
    where: str = ""
    detail: str = ""


def normalize_image(image: str, base_url: str) -> str:
    """The repository path to ask for: without a leading registry host, `library/` on Docker Hub."""
    image = image.strip().strip("/")
    host = urlsplit(base_url).netloc.lower()
    if host and image.lower().startswith(host + "/"):
        image = image[len(host) + 1 :]
    if host in DOCKER_HUB_HOSTS and "/" not in image:
        image = f"library/{image}"
    return image


class OciRegistryAdapter:
    """Polls an OCI registry for the release's images.

    Args:
        name: The configured source name (in every message).
        source: The configured source (its `interval`).
        targets: `(service, ArtifactTarget)` pairs served by this source.
        release_ref: Substituted for `{release.ref}` in each target's tag.
        http: The source's HTTP face.
        token: A resolved token or password (never shown); anonymous when None.
        user: A resolved username for Basic credentials (with `token`).
    """

    kind = "oci-registry"

    def __init__(
        self,
        name: str,
        source: Source,
        targets: list[tuple[str, ArtifactTarget]],
        release_ref: str,
        http: SourceHttp,
        *,
        token: str | None = None,
        user: str | None = None,
    ) -> None:
        self.name = name
        self.source = source
        self.targets = list(targets)
        self.release_ref = release_ref
        self.http = http
        self.interval_s = float(source.interval)
        self.auth = RegistryAuth(http, user=user, token=token)
        self._cache: dict[str, _Cached] = {}
        self._referrers_unsupported: tuple[float, str] | None = None

    async def poll(self) -> SourceData:
        """One `ArtifactStatus` per target, in target order; raises `SourceError` on failure."""
        results = await asyncio.gather(
            *(self._check(service, target) for service, target in self.targets),
            return_exceptions=True,
        )
        artifacts: list[ArtifactStatus] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            artifacts.append(result)
        return SourceData(artifacts=tuple(artifacts))

    def resolve_tag(self, target: ArtifactTarget) -> str:
        return target.tag.replace("{release.ref}", self.release_ref)

    async def _check(self, service: str, target: ArtifactTarget) -> ArtifactStatus:
        image, tag = target.image, self.resolve_tag(target)
        repository = normalize_image(image, self.http.base_url)
        fetched_at = self.http.clock.now()

        def absent(detail: str) -> ArtifactStatus:
            return ArtifactStatus(
                service, image, tag, False, detail=detail, source=self.name, fetched_at=fetched_at
            )

        if not tag:
            return absent(f"{image}: the tag is empty (set release.ref or pass --release)")
        if not TAG_PATTERN.fullmatch(tag):
            return absent(f"{image}: {sanitize(tag)[:140]!r} is not a valid OCI tag")
        if not REPOSITORY_PATTERN.fullmatch(repository):
            return absent(f"{sanitize(image)[:140]!r} is not a valid repository name")
        reply = await self._fetch(f"/v2/{repository}/manifests/{tag}", repository, MANIFEST_ACCEPT)
        if reply.status in (400, 404):
            return absent(await self._missing_detail(reply, image, repository, tag))
        if reply.status != 200:
            self._fail(reply)
        manifest, digest = self._read_manifest(reply, image, tag)
        signature = await self._signature(repository, digest)
        return ArtifactStatus(
            service,
            image,
            tag,
            True,
            digest=digest,
            media_type=manifest.media_type,
            signed=signature.signed,
            signature=signature.where,
            platforms=manifest.platforms,
            detail=signature.detail,
            source=self.name,
            fetched_at=fetched_at,
        )

    def _read_manifest(self, reply: _Reply, image: str, tag: str) -> tuple[Manifest, str]:
        manifest = parse_manifest(reply.body, reply.headers.get("content-type", ""))
        if manifest is None:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.name}: {_where(reply)} answered {describe_body(reply.response)} instead "
                f"of a manifest for {image}:{tag}",
                source=self.name,
                hint="point url at the registry's API (https://ghcr.io), not its web UI or a proxy",
            )
        header = reply.headers.get("docker-content-digest", "").strip()
        match = DIGEST_PATTERN.fullmatch(header)
        computed = digest_of(reply.body, match.group("algorithm") if match else "sha256")
        if header and header.lower() != computed:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.name}: the manifest of {image}:{tag} hashes to {computed} but the "
                f"registry says Docker-Content-Digest {sanitize(header)[:100]}",
                source=self.name,
                hint="a proxy rewrote the manifest, or the registry is broken",
            )
        return manifest, computed

    async def _missing_detail(self, reply: _Reply, image: str, repository: str, tag: str) -> str:
        errors = registry_errors(reply.body)
        if errors is None:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.name}: {_where(reply)} answered HTTP {reply.status} with "
                f"{describe_body(reply.response)}, not a registry error",
                source=self.name,
                hint="check the source's url points at an OCI registry (its /v2/ API)",
            )
        codes = {code for code, _ in errors}
        said = "; ".join(f"{code}: {message}" if message else code for code, message in errors)
        gone = f"repository {image} does not exist in the registry, so {image}:{tag} is absent"
        if "NAME_UNKNOWN" in codes:
            return gone
        if reply.status == 400:
            return f"the registry rejected {image}:{tag} ({said[:200]})"
        if not await self._repository_exists(repository):
            return gone
        return f"{image}:{tag} not found in the registry ({said[:200]})"

    async def _repository_exists(self, repository: str) -> bool:
        # distribution 2.8 answers MANIFEST_UNKNOWN even for an unknown repository; its tag list
        # says NAME_UNKNOWN. Asked only when a tag is missing, so a healthy poll never pays.
        reply = await self._fetch(
            f"/v2/{repository}/tags/list", repository, "application/json", cache=False
        )
        if reply.status != 404:
            return True
        errors = registry_errors(reply.body) or []
        return not any(code == "NAME_UNKNOWN" for code, _ in errors)

    async def _signature(self, repository: str, digest: str) -> _Signature:
        notes: list[str] = []
        found, note = await self._referrers(repository, digest)
        if found is not None:
            return found
        notes.append(note)
        sig_tag = cosign_signature_tag(digest)
        reply = await self._fetch(
            f"/v2/{repository}/manifests/{sig_tag}", repository, MANIFEST_ACCEPT
        )
        if reply.status == 200 and is_cosign_signature_manifest(reply.body):
            notes.append(f"signature found at cosign tag {_short(sig_tag)}")
            return _Signature(True, f"{repository}:{sig_tag}", "; ".join(notes))
        if reply.status == 200:
            notes.append(f"cosign tag {_short(sig_tag)} holds no cosign signature")
        elif reply.status == 404:
            notes.append(f"no cosign tag {_short(sig_tag)}")
        else:
            self._fail(reply)
        if self._referrers_unsupported is not None:
            fallback = referrers_tag(digest)
            reply = await self._fetch(
                f"/v2/{repository}/manifests/{fallback}", repository, OCI_INDEX
            )
            referrer = signature_referrer(parse_json(reply.body)) if reply.status == 200 else None
            if referrer is not None:
                notes.append(f"{referrer.kind} signature found in referrers tag {_short(fallback)}")
                return _Signature(True, f"{repository}@{referrer.digest}", "; ".join(notes))
            if reply.status not in (200, 404):
                self._fail(reply)
            notes.append(f"no signature in referrers tag {_short(fallback)}")
        return _Signature(False, "", "; ".join(notes) + ": unsigned")

    async def _referrers(self, repository: str, digest: str) -> tuple[_Signature | None, str]:
        now = self.http.clock.monotonic()
        if self._referrers_unsupported is not None:
            since, note = self._referrers_unsupported
            if now - since < REFERRERS_RECHECK_S:
                return None, note
        path: str | None = f"/v2/{repository}/referrers/{digest}"
        pages = 0
        while path is not None and pages < REFERRERS_MAX_PAGES:
            pages += 1
            reply = await self._fetch(path, repository, OCI_INDEX)
            if reply.status in REFERRERS_UNSUPPORTED:
                note = f"referrers API not supported (HTTP {reply.status})"
                self._referrers_unsupported = (now, note)
                return None, note
            if reply.status != 200:
                self._fail(reply)
            document = parse_json(reply.body)
            if not isinstance(document, dict) or not isinstance(document.get("manifests"), list):
                note = f"referrers API answered {describe_body(reply.response)}, not an OCI index"
                self._referrers_unsupported = (now, note)
                return None, note
            self._referrers_unsupported = None
            referrer = signature_referrer(document)
            if referrer is not None:
                detail = f"{referrer.kind} signature found via the referrers API"
                return _Signature(True, f"{repository}@{referrer.digest}", detail), ""
            path = _next_link(reply.headers, self.http.base_url)
        return None, "referrers API lists no signature"

    async def _fetch(
        self, path: str, repository: str, accept: str, *, cache: bool = True
    ) -> _Reply:
        """GET with auth challenges answered (one retry) and ETag revalidation; any status."""
        url = self.http.url(path)
        headers = {**self.http.headers, "Accept": accept, **self.auth.headers_for(repository)}
        cached = self._cache.get(url) if cache else None
        if cached is not None:
            headers["If-None-Match"] = cached.etag
        response: httpx.Response | None = None
        for attempt in range(2):
            request = self.http.client.build_request(
                "GET", url, headers=headers, timeout=self.http.timeout
            )
            # SourceHttp.send maps transport failures to typed errors and counts the request.
            response = await self.http.send(request)
            if response.status_code != 401:
                break
            if attempt == 1:
                raise self.auth.refused(response, repository)
            headers.update(await self.auth.answer(response, repository))
        assert response is not None
        if response.status_code == 304 and cached is not None:
            self.http.not_modified += 1
            return _Reply(200, cached.headers, cached.body, response, from_cache=True)
        etag = response.headers.get("etag")
        if cache and response.status_code == 200 and etag:
            self._cache[url] = _Cached(etag, response.content, response.headers)
        return _Reply(response.status_code, response.headers, response.content, response)

    def _fail(self, reply: _Reply) -> None:
        """Raise the typed error for a status the caller does not expect."""
        self.http.raise_for_status(reply.response)
        raise SourceError(
            ErrorKind.BAD_RESPONSE,
            f"{self.name}: {_where(reply)} answered HTTP {reply.status} unexpectedly",
            source=self.name,
            hint="check the source's url points at an OCI registry",
        )


def _short(tag: str) -> str:
    """`sha256-<hex>.sig` with the hex cut to 12 characters, for evidence text."""
    head, _, rest = tag.partition("-")
    hex_part, dot, suffix = rest.partition(".")
    return f"{head}-{hex_part[:12]}…{dot}{suffix}" if len(hex_part) > 12 else tag


def _where(reply: _Reply) -> str:
    return str(reply.response.request.url.copy_with(query=None))


def _next_link(headers: Mapping[str, str], base_url: str) -> str | None:
    """The next page of a paginated answer (RFC 8288 `Link`), only on the registry's own host."""
    match = _NEXT_LINK.search(headers.get("link", ""))
    if match is None:
        return None
    link = match.group(1)
    if link.startswith("/"):
        return link
    same_host = urlsplit(link).netloc == urlsplit(base_url).netloc
    return link if same_host and link.startswith(("http://", "https://")) else None
