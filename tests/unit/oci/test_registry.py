"""The OCI registry adapter against a scripted registry (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from cockpit.config.models import ArtifactTarget
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.oci import normalize_image
from tests.unit.oci.fakes import (
    COSIGN_SIG,
    OCI_INDEX,
    FakeRegistry,
    digest,
    encode,
    image_manifest,
    make_adapter,
    manifest_response,
    registry_error,
    revalidating,
)

MANIFEST = image_manifest()
DIGEST = digest(MANIFEST)
HEX = DIGEST.removeprefix("sha256:")
TAG_PATH = "/v2/acme/checkout/manifests/v2.14.0"
SIG_PATH = f"/v2/acme/checkout/manifests/sha256-{HEX}.sig"
REFERRERS_PATH = f"/v2/acme/checkout/referrers/{DIGEST}"
FALLBACK_PATH = f"/v2/acme/checkout/manifests/sha256-{HEX}"


def cosign_tag_manifest() -> bytes:
    return encode(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest(b"{}"),
                "size": 2,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": digest(b"payload"),
                    "size": 7,
                    "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="},
                }
            ],
        }
    )


def referrers_index(*descriptors: dict[str, object]) -> httpx.Response:
    body = encode({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": list(descriptors)})
    return httpx.Response(200, headers={"Content-Type": OCI_INDEX}, content=body)


@pytest.fixture
def registry() -> FakeRegistry:
    fake = FakeRegistry()
    fake.add(TAG_PATH, manifest_response(MANIFEST))
    return fake


async def test_accept_header_lists_oci_and_docker_manifest_and_index_types(
    registry: FakeRegistry,
) -> None:
    await make_adapter(registry).poll()
    manifest_request = next(r for r in registry.requests if r.url.path == TAG_PATH)
    accept = {part.strip() for part in manifest_request.headers["accept"].split(",")}
    assert accept == {
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
    referrers_request = next(r for r in registry.requests if r.url.path == REFERRERS_PATH)
    assert referrers_request.headers["accept"] == OCI_INDEX


async def test_present_with_digest_from_header_and_release_ref_substituted(
    registry: FakeRegistry,
) -> None:
    [status] = (await make_adapter(registry).poll()).artifacts
    assert (status.service, status.image, status.tag) == ("checkout", "acme/checkout", "v2.14.0")
    assert status.present is True
    assert status.digest == DIGEST
    assert status.media_type == "application/vnd.oci.image.manifest.v1+json"
    assert status.source == "registry"
    assert status.fetched_at is not None


async def test_missing_docker_content_digest_is_computed_from_the_body() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, manifest_response(MANIFEST, with_digest=False))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.digest == DIGEST


async def test_digest_header_that_does_not_match_the_body_is_bad_response() -> None:
    registry = FakeRegistry()
    response = manifest_response(MANIFEST)
    response.headers["Docker-Content-Digest"] = "sha256:" + "0" * 64
    registry.add(TAG_PATH, response)
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert caught.value.message.startswith("registry: ")
    assert DIGEST in caught.value.message


async def test_index_digest_and_platforms_without_attestation_manifests() -> None:
    child = image_manifest("amd64")
    index = encode(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest(child),
                    "size": len(child),
                    "platform": {"os": "linux", "architecture": "amd64"},
                },
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest(b"2"),
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
                },
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest(b"3"),
                    "size": 1,
                    "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                },
            ],
        }
    )
    registry = FakeRegistry()
    registry.add(TAG_PATH, manifest_response(index, OCI_INDEX))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.digest == digest(index)
    assert status.media_type == OCI_INDEX
    assert status.platforms == ("linux/amd64", "linux/arm64/v8")


async def test_docker_manifest_list_is_an_index_too() -> None:
    media_type = "application/vnd.docker.distribution.manifest.list.v2+json"
    index = encode(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": [
                {
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "digest": digest(b"x"),
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "s390x"},
                },
            ],
        }
    )
    registry = FakeRegistry()
    registry.add(TAG_PATH, manifest_response(index, media_type))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.platforms == ("linux/s390x",)


async def test_html_page_instead_of_a_manifest_is_bad_response_naming_the_source() -> None:
    registry = FakeRegistry()
    page = httpx.Response(
        200,
        headers={"Content-Type": "text/html"},
        content=b"<!doctype html><html><body>Sign in</body></html>",
    )
    registry.add(TAG_PATH, page)
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert caught.value.source == "registry"
    assert caught.value.message.startswith("registry: ")
    assert "HTML" in caught.value.message


async def test_plain_404_on_the_manifest_path_is_not_a_registry() -> None:
    registry = FakeRegistry()  # every path answers a plain-text 404
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "not a registry error" in caught.value.message


async def test_unknown_tag_is_absent_naming_image_and_tag() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown"))
    registry.add(
        "/v2/acme/checkout/tags/list",
        httpx.Response(200, json={"name": "acme/checkout", "tags": ["v2.13.0"]}),
    )
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.present is False
    assert status.signed is None
    assert "acme/checkout:v2.14.0 not found" in status.detail
    assert "MANIFEST_UNKNOWN" in status.detail


async def test_name_unknown_means_the_repository_does_not_exist() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, registry_error(404, "NAME_UNKNOWN", "repository name not known"))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.present is False
    assert "repository acme/checkout does not exist" in status.detail
    assert "/v2/acme/checkout/tags/list" not in registry.paths()


async def test_manifest_unknown_for_a_missing_repository_is_told_apart_by_tags_list() -> None:
    # distribution 2.8.2 answers MANIFEST_UNKNOWN even when the repository does not exist.
    registry = FakeRegistry()
    registry.add(TAG_PATH, registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown"))
    registry.add(
        "/v2/acme/checkout/tags/list",
        registry_error(404, "NAME_UNKNOWN", "repository name not known to registry"),
    )
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.present is False
    assert "repository acme/checkout does not exist" in status.detail


async def test_invalid_or_empty_tag_is_absent_without_asking() -> None:
    registry = FakeRegistry()
    targets = [
        ("a", ArtifactTarget(source="registry", image="acme/checkout")),
        (
            "b",
            ArtifactTarget(source="registry", image="acme/checkout", tag="feature/{release.ref}"),
        ),
    ]
    empty, invalid = (await make_adapter(registry, targets, release_ref="").poll()).artifacts
    assert empty.present is False and "tag is empty" in empty.detail
    assert invalid.present is False and "not a valid OCI tag" in invalid.detail
    assert registry.requests == []


async def test_remote_error_text_is_sanitized() -> None:
    registry = FakeRegistry()
    registry.add(
        TAG_PATH, registry_error(404, "MANIFEST_UNKNOWN", "gone\x1b]0;pwned\x07 \x1b[31mred")
    )
    registry.add("/v2/acme/checkout/tags/list", httpx.Response(200, json={"tags": []}))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert "\x1b" not in status.detail and "\x07" not in status.detail
    assert "gone" in status.detail and "red" in status.detail


async def test_server_error_raises_a_typed_error() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, httpx.Response(503, text="busy"))
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert caught.value.message.startswith("registry: ")


async def test_referrers_api_listing_a_cosign_signature_means_signed(
    registry: FakeRegistry,
) -> None:
    sig = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(b"sig"),
        "size": 3,
        "artifactType": COSIGN_SIG,
    }
    registry.add(REFERRERS_PATH, referrers_index(sig))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is True
    assert status.signature == f"acme/checkout@{digest(b'sig')}"
    assert "referrers API" in status.detail
    assert SIG_PATH not in registry.paths()


async def test_referrers_api_notation_signature_counts(registry: FakeRegistry) -> None:
    sig = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(b"n"),
        "size": 1,
        "artifactType": "application/vnd.cncf.notary.signature",
    }
    registry.add(REFERRERS_PATH, referrers_index(sig))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is True
    assert "notation" in status.detail


async def test_referrers_with_only_an_attestation_fall_back_to_the_cosign_tag(
    registry: FakeRegistry,
) -> None:
    attestation = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(b"att"),
        "size": 3,
        "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "annotations": {"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1"},
    }
    registry.add(REFERRERS_PATH, referrers_index(attestation))
    registry.add(SIG_PATH, manifest_response(cosign_tag_manifest()))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is True
    assert status.signature == f"acme/checkout:sha256-{HEX}.sig"
    assert "referrers API lists no signature" in status.detail
    assert "cosign tag" in status.detail


async def test_referrers_plain_404_falls_back_to_the_cosign_tag(registry: FakeRegistry) -> None:
    registry.add(SIG_PATH, manifest_response(cosign_tag_manifest()))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is True
    assert "referrers API not supported (HTTP 404)" in status.detail
    assert "signature found at cosign tag" in status.detail
    assert registry.paths() == [TAG_PATH, REFERRERS_PATH, SIG_PATH]


async def test_no_signature_anywhere_is_unsigned_and_says_what_was_checked(
    registry: FakeRegistry,
) -> None:
    registry.add(SIG_PATH, registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown"))
    registry.add(FALLBACK_PATH, registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown"))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.present is True
    assert status.signed is False
    assert status.signature == ""
    assert "referrers API not supported" in status.detail
    assert "no cosign tag" in status.detail
    assert status.detail.endswith("unsigned")


async def test_referrers_tag_schema_fallback_finds_a_sigstore_bundle(
    registry: FakeRegistry,
) -> None:
    bundle = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(b"b"),
        "size": 1,
        "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    }
    registry.add(FALLBACK_PATH, referrers_index(bundle))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is True
    assert "sigstore bundle signature found in referrers tag" in status.detail


async def test_a_sig_tag_without_cosign_layers_is_not_a_signature(
    registry: FakeRegistry,
) -> None:
    registry.add(SIG_PATH, manifest_response(image_manifest("not-a-signature")))
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is False
    assert "holds no cosign signature" in status.detail


async def test_second_poll_revalidates_and_skips_the_unsupported_referrers_api(
    registry: FakeRegistry,
) -> None:
    registry.add(TAG_PATH, revalidating(MANIFEST))
    registry.add(SIG_PATH, revalidating(cosign_tag_manifest()))
    adapter = make_adapter(registry)
    first = await adapter.poll()
    requests_after_first = adapter.http.requests
    second = await adapter.poll()
    assert second.artifacts[0].digest == first.artifacts[0].digest == DIGEST
    assert second.artifacts[0].signed is True
    assert adapter.http.requests - requests_after_first == 2  # manifest (304) + sig tag (304)
    assert adapter.http.not_modified == 2
    assert registry.paths().count(REFERRERS_PATH) == 1


async def test_targets_are_polled_in_order_and_interval_comes_from_the_source() -> None:
    registry = FakeRegistry()
    other = image_manifest("payments")
    registry.add(TAG_PATH, manifest_response(MANIFEST))
    registry.add("/v2/acme/payments/manifests/v1.0.0", manifest_response(other))
    targets = [
        ("checkout", ArtifactTarget(source="registry", image="acme/checkout")),
        ("payments", ArtifactTarget(source="registry", image="acme/payments", tag="v1.0.0")),
    ]
    adapter = make_adapter(registry, targets)
    assert adapter.kind == "oci-registry"
    assert adapter.interval_s == 30.0
    data = await adapter.poll()
    assert [a.service for a in data.artifacts] == ["checkout", "payments"]
    assert data.artifacts[1].digest == digest(other)


def test_image_names_are_normalised_for_the_registry_host() -> None:
    assert normalize_image("ghcr.io/acme/checkout", "https://ghcr.io") == "acme/checkout"
    assert normalize_image("nginx", "https://registry-1.docker.io") == "library/nginx"
    assert normalize_image("acme/checkout", "http://127.0.0.1:5000") == "acme/checkout"


async def test_plain_http_local_registry_works() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, manifest_response(MANIFEST))
    adapter = make_adapter(registry, url="http://127.0.0.1:5000")
    [status] = (await adapter.poll()).artifacts
    assert status.present is True
    assert str(registry.requests[0].url).startswith("http://127.0.0.1:5000/v2/")


async def test_referrers_pagination_follows_next_link(registry: FakeRegistry) -> None:
    sig = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": digest(b"s"),
        "size": 1,
        "artifactType": COSIGN_SIG,
    }

    def paged(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("last"):
            return referrers_index(sig)
        first = referrers_index()
        first.headers["Link"] = f'<{REFERRERS_PATH}?last=x>; rel="next"'
        return first

    registry.add(REFERRERS_PATH, paged)
    [status] = (await make_adapter(registry).poll()).artifacts
    assert status.signed is True
    assert registry.paths().count(REFERRERS_PATH) == 2
