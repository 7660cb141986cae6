"""The `artifact_present` and `artifact_signed` gates, from the registry lookups in a snapshot.

A tag the registry says does not exist is a FAIL, not unknown: the release cannot ship an image
that is not there. A signature that could not be checked is unknown; a checked, missing one fails.
"""

from __future__ import annotations

from typing import Any

from cockpit.config.models import (
    ArtifactPresentGate,
    ArtifactSignedGate,
    ArtifactTarget,
    Config,
    Release,
)
from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.models.release_data import ArtifactStatus
from cockpit.models.snapshot import Snapshot
from cockpit.readiness.common import one_line, result, unknown

ArtifactGate = ArtifactPresentGate | ArtifactSignedGate

# Manifest media types that list one manifest per platform (multi-arch).
INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)


def resolve_tag(target: ArtifactTarget, release: Release, ref: str) -> str:
    """The tag with `{release.ref}` (and `{release.name}`) substituted."""
    return target.tag.replace("{release.ref}", ref).replace("{release.name}", release.name)


def artifact_evidence(artifact: ArtifactStatus) -> dict[str, Any]:
    """What the registry told us: the digest, and for a multi-arch image the index digest."""
    evidence: dict[str, Any] = {
        "image": artifact.image,
        "tag": artifact.tag,
        "present": artifact.present,
        "digest": artifact.digest,
        "media_type": artifact.media_type,
    }
    if artifact.media_type in INDEX_MEDIA_TYPES:
        evidence["index_digest"] = artifact.digest
        evidence["platforms"] = list(artifact.platforms)
    if artifact.signed is not None or artifact.signature:
        evidence["signed"] = artifact.signed
        evidence["signature"] = artifact.signature
    if artifact.detail:
        evidence["detail"] = artifact.detail
    return evidence


def artifact_result(config: Config, gate: ArtifactGate, snapshot: Snapshot, ref: str) -> GateResult:
    """The verdict of an artifact gate for the release ref (staleness not applied)."""
    service = config.service(gate.service)
    if service is None:
        return unknown(gate, f"service {gate.service} is not defined")
    target = service.artifact
    if target is None:
        return unknown(gate, f"service {gate.service} has no `artifact` configured")
    tag = resolve_tag(target, config.release, ref)
    if not tag:
        return unknown(gate, "no release ref to resolve the tag (set release.ref or --release)")
    reference = one_line(f"{target.image}:{tag}")
    status = snapshot.source(target.source)
    polled_at = None if status is None else status.fetched_at
    common: dict[str, Any] = {"source": target.source, "fetched_at": polled_at}
    found = [
        a
        for a in snapshot.artifacts
        if a.service == service.name and a.image == target.image and a.tag == tag
    ]
    if not found:
        evidence = {"image": target.image, "tag": tag}
        return unknown(gate, f"{reference} was not looked up yet", evidence, **common)
    artifact = found[-1]
    common["fetched_at"] = artifact.fetched_at or polled_at
    evidence = artifact_evidence(artifact)
    if not artifact.present:
        return result(
            gate, GateVerdict.FAIL, f"{reference} is not in the registry", evidence, **common
        )
    digest = one_line(artifact.digest) or "an unknown digest"
    if isinstance(gate, ArtifactPresentGate):
        return result(gate, GateVerdict.PASS, f"{reference} is {digest}", evidence, **common)
    if artifact.signed is None:
        why = f": {one_line(artifact.detail)}" if artifact.detail else ""
        return unknown(
            gate, f"the signature of {digest} could not be checked{why}", evidence, **common
        )
    if not artifact.signed:
        return result(gate, GateVerdict.FAIL, f"no signature for {digest}", evidence, **common)
    where = f" ({one_line(artifact.signature)})" if artifact.signature else ""
    return result(gate, GateVerdict.PASS, f"{digest} is signed{where}", evidence, **common)
