"""OCI / Docker manifest media types and pure parsers: manifests, indexes, referrers, errors.

Nothing here does I/O, so every rule (which platforms an index lists, what counts as a
signature in a referrers answer, what a registry error body says) is tested without a server.

References: the OCI image spec (manifest, index, descriptor), the OCI distribution spec v1.1
(referrers API and its tag-schema fallback `<alg>-<hex>`), cosign's legacy signature tag
`sha256-<hex>.sig` whose layers are `simplesigning` payloads, cosign's OCI 1.1 artifact type and
sigstore bundles (`dev.sigstore.bundle.predicateType`), and notation's artifact type.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cockpit.text import sanitize

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST, *INDEX_TYPES})

# Registries pick the representation from Accept; distribution answers MANIFEST_UNKNOWN for an OCI
# manifest when Accept lacks the OCI types (httpx sends */* by default).
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST))

COSIGN_SIGNATURE_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle"
SIGSTORE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
NOTATION_SIGNATURE_ARTIFACT = "application/vnd.cncf.notary.signature"

# OCI tag grammar (distribution spec): at most 128 characters.
TAG_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
DIGEST_PATTERN = re.compile(
    r"(?P<algorithm>[a-z0-9]+(?:[+._-][a-z0-9]+)*):(?P<hex>[a-fA-F0-9]{32,})"
)


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the cockpit needs from a manifest or index body."""

    media_type: str
    is_index: bool
    platforms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Referrer:
    """A signature listed by the referrers API (or the referrers tag schema)."""

    digest: str
    kind: str  # "cosign" | "sigstore bundle" | "notation"


def digest_of(body: bytes, algorithm: str = "sha256") -> str:
    """The content digest of `body`: `sha256:<hex>`, or `sha512:<hex>` when the registry uses it."""
    if algorithm == "sha512":
        return "sha512:" + hashlib.sha512(body).hexdigest()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def cosign_signature_tag(digest: str) -> str:
    """cosign's legacy signature tag for a manifest digest: `sha256-<hex>.sig`."""
    return digest.replace(":", "-", 1) + ".sig"


def referrers_tag(digest: str) -> str:
    """The OCI 1.1 referrers tag schema (`<alg>-<hex>`): the fallback index of referrers."""
    return digest.replace(":", "-", 1)


def parse_json(body: bytes) -> Any:
    """The body as JSON, or None when it is not JSON."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def registry_errors(body: bytes) -> list[tuple[str, str]] | None:
    """The `(code, message)` pairs of a registry error body; None when it is not one.

    Registries answer errors as `{"errors": [{"code": "MANIFEST_UNKNOWN", "message": ...}]}`.
    Messages are remote text: sanitized and shortened here.
    """
    document = parse_json(body)
    if not isinstance(document, dict) or not isinstance(document.get("errors"), list):
        return None
    pairs: list[tuple[str, str]] = []
    for error in document["errors"]:
        if isinstance(error, dict):
            code = sanitize(str(error.get("code", "")))[:60]
            message = sanitize(str(error.get("message", "")))[:200]
            pairs.append((code.upper(), message))
    return pairs


def parse_manifest(body: bytes, content_type: str) -> Manifest | None:
    """Parse a manifest or index; None when the body is not one (an HTML page, a proxy's JSON)."""
    document = parse_json(body)
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        return None
    declared = content_type.split(";")[0].strip().lower()
    media_type = str(document.get("mediaType") or declared)
    if media_type not in MANIFEST_TYPES:
        # OCI allows an absent mediaType: an index is recognised by its `manifests` list.
        if isinstance(document.get("manifests"), list):
            media_type = OCI_INDEX
        elif isinstance(document.get("layers"), list) or "config" in document:
            media_type = OCI_MANIFEST
        else:
            return None
    if media_type in INDEX_TYPES:
        return Manifest(sanitize(media_type), True, index_platforms(document))
    return Manifest(sanitize(media_type), False)


def index_platforms(index: dict[str, Any]) -> tuple[str, ...]:
    """The `os/arch[/variant]` of each runnable image in an index, in order, without duplicates.

    BuildKit adds attestation manifests with platform `unknown/unknown` (annotated
    `vnd.docker.reference.type: attestation-manifest`); they are not platforms.
    """
    found: list[str] = []
    for entry in index.get("manifests") or []:
        if not isinstance(entry, dict):
            continue
        annotations = entry.get("annotations") or {}
        if isinstance(annotations, dict) and annotations.get("vnd.docker.reference.type"):
            continue
        platform = entry.get("platform")
        if not isinstance(platform, dict):
            continue
        os_name, arch = str(platform.get("os", "")), str(platform.get("architecture", ""))
        if not os_name or not arch or (os_name, arch) == ("unknown", "unknown"):
            continue
        name = f"{os_name}/{arch}"
        if platform.get("variant"):
            name += f"/{platform['variant']}"
        name = sanitize(name)[:64]
        if name not in found:
            found.append(name)
    return tuple(found)


def signature_referrer(index: Any) -> Referrer | None:
    """The first signature among the descriptors of a referrers answer (an OCI index)."""
    if not isinstance(index, dict):
        return None
    for entry in index.get("manifests") or []:
        if not isinstance(entry, dict):
            continue
        kind = _signature_kind(entry)
        if kind:
            return Referrer(sanitize(str(entry.get("digest", "")))[:100], kind)
    return None


def _signature_kind(descriptor: dict[str, Any]) -> str:
    artifact_type = str(descriptor.get("artifactType") or "")
    annotations = descriptor.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    if artifact_type == COSIGN_SIGNATURE_ARTIFACT or COSIGN_SIGNATURE_ANNOTATION in annotations:
        return "cosign"
    if artifact_type == NOTATION_SIGNATURE_ARTIFACT or any(
        str(key).startswith("io.cncf.notary.") for key in annotations
    ):
        return "notation"
    if artifact_type.startswith(SIGSTORE_BUNDLE_PREFIX):
        # A sigstore bundle is a signature or an attestation; cosign says which in an annotation.
        # Fallback-tag indexes written by cosign drop the annotation: count those as signatures.
        predicate = annotations.get(SIGSTORE_PREDICATE_ANNOTATION)
        if predicate in (None, COSIGN_SIGN_PREDICATE):
            return "sigstore bundle"
    return ""


def is_cosign_signature_manifest(body: bytes) -> bool:
    """True when a `sha256-<hex>.sig` manifest carries cosign signature layers."""
    document = parse_json(body)
    if not isinstance(document, dict):
        return False
    for layer in document.get("layers") or []:
        if not isinstance(layer, dict):
            continue
        annotations = layer.get("annotations")
        if layer.get("mediaType") == COSIGN_SIMPLESIGNING or (
            isinstance(annotations, dict) and COSIGN_SIGNATURE_ANNOTATION in annotations
        ):
            return True
    return False
