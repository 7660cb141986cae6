"""artifact_present / artifact_signed: from the registry lookups in the snapshot."""

from __future__ import annotations

from datetime import timedelta

from cockpit.models.readiness import GateResult, GateVerdict
from cockpit.models.release_data import ArtifactStatus
from cockpit.readiness import evaluate

from .helpers import NOW, make_config, snapshot, stale

DIGEST = "sha256:" + "ab" * 32
INDEX = "application/vnd.oci.image.index.v1+json"
GATES = [
    {"kind": "artifact_present", "service": "checkout"},
    {"kind": "artifact_signed", "service": "checkout"},
]


def artifact(**fields: object) -> ArtifactStatus:
    base: dict[str, object] = {
        "service": "checkout",
        "image": "acme/checkout",
        "tag": "v2.14.0",
        "present": True,
        "digest": DIGEST,
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "signed": True,
        "signature": "referrers API",
        "source": "registry",
        "fetched_at": NOW - timedelta(seconds=1),
    }
    base.update(fields)
    return ArtifactStatus(**base)  # type: ignore[arg-type]


def results(*artifacts: ArtifactStatus, ref: str | None = None) -> tuple[GateResult, ...]:
    config = make_config(GATES)
    found, _ = evaluate(config, snapshot(artifacts=artifacts), now=NOW, release_ref=ref)
    return found


def test_present_and_signed_pass_with_the_digest_as_evidence() -> None:
    present, signed = results(artifact())
    assert present.verdict is GateVerdict.PASS
    assert present.reason == f"acme/checkout:v2.14.0 is {DIGEST}"
    assert present.evidence["digest"] == DIGEST
    assert present.source == "registry"
    assert present.fetched_at == NOW - timedelta(seconds=1)
    assert signed.verdict is GateVerdict.PASS
    assert signed.reason == f"{DIGEST} is signed (referrers API)"


def test_a_tag_that_does_not_exist_fails_both_not_unknown() -> None:
    present, signed = results(artifact(present=False, digest="", signed=None))
    assert present.verdict is GateVerdict.FAIL
    assert present.reason == "acme/checkout:v2.14.0 is not in the registry"
    assert signed.verdict is GateVerdict.FAIL
    assert signed.reason == "acme/checkout:v2.14.0 is not in the registry"


def test_multi_arch_evidence_names_the_index_digest_and_platforms() -> None:
    present, _ = results(artifact(media_type=INDEX, platforms=("linux/amd64", "linux/arm64")))
    assert present.evidence["index_digest"] == DIGEST
    assert present.evidence["platforms"] == ["linux/amd64", "linux/arm64"]


def test_missing_signature_fails_naming_the_digest() -> None:
    _, signed = results(artifact(signed=False, signature=""))
    assert signed.verdict is GateVerdict.FAIL
    assert signed.reason == f"no signature for {DIGEST}"


def test_signature_not_checkable_is_unknown() -> None:
    _, signed = results(artifact(signed=None, detail="registry denied the referrers API"))
    assert signed.verdict is GateVerdict.UNKNOWN
    assert signed.reason == (
        f"the signature of {DIGEST} could not be checked: registry denied the referrers API"
    )


def test_the_release_override_selects_the_tag() -> None:
    present, _ = results(artifact(), ref="v2.15.0")
    assert present.verdict is GateVerdict.UNKNOWN
    assert present.reason == "acme/checkout:v2.15.0 was not looked up yet"
    present, _ = results(artifact(tag="v2.15.0"), ref="v2.15.0")
    assert present.verdict is GateVerdict.PASS


def test_a_stale_registry_turns_a_pass_unknown_keeping_the_last_result() -> None:
    config = make_config(GATES)
    snap = snapshot(artifacts=(artifact(),), sources=(stale("registry", "oci-registry"),))
    present, signed = evaluate(config, snap, now=NOW)[0]
    assert present.verdict is GateVerdict.UNKNOWN
    assert present.reason == "source registry is stale (3m old)"
    assert present.evidence["last_result"]["verdict"] == "pass"
    assert signed.verdict is GateVerdict.UNKNOWN
