"""The OCI registry simulator: pushes, signatures, distribution 2.8.2's quirks, and the adapter."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import ArtifactTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.sim.oci import OciRegistrySim
from cockpit.sources.oci import MANIFEST_ACCEPT, OciRegistryAdapter

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture
def sim() -> Iterator[OciRegistrySim]:
    with OciRegistrySim() as running:
        yield running


# One client for the module: a new httpx client per request costs ~40 ms (its TLS context).
_CLIENT = httpx.Client(timeout=5)


@pytest.fixture(scope="module", autouse=True)
def _close_client() -> Iterator[None]:
    yield
    _CLIENT.close()


def get(sim: OciRegistrySim, path: str, **headers: str) -> httpx.Response:
    return _CLIENT.get(sim.url + path, headers=headers)


def adapter_for(sim: OciRegistrySim, client: httpx.AsyncClient, **auth: str) -> OciRegistryAdapter:
    http = SourceHttp(client, "demo-registry", sim.url, clock=FakeClock())
    targets = [
        ("checkout", ArtifactTarget(source="demo-registry", image="acme/checkout")),
        ("multi", ArtifactTarget(source="demo-registry", image="acme/multi", tag="v1")),
    ]
    source = Source(kind="oci-registry", url=sim.url)
    return OciRegistryAdapter("demo-registry", source, targets, "v2.14.0", http, **auth)


def test_base_endpoint_answers_like_distribution(sim: OciRegistrySim) -> None:
    response = get(sim, "/v2/")
    assert response.status_code == 200
    assert response.json() == {}
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"


def test_pushed_image_is_served_with_its_digest(sim: OciRegistrySim) -> None:
    pushed = sim.push_image("acme/checkout", "v2.14.0")
    response = get(sim, "/v2/acme/checkout/manifests/v2.14.0", accept=MANIFEST_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"] == OCI_MANIFEST
    assert response.headers["docker-content-digest"] == pushed
    assert "sha256:" + hashlib.sha256(response.content).hexdigest() == pushed
    by_digest = get(sim, f"/v2/acme/checkout/manifests/{pushed}", accept=OCI_MANIFEST)
    assert by_digest.content == response.content
    config = response.json()["config"]
    blob = get(sim, f"/v2/acme/checkout/blobs/{config['digest']}")
    assert len(blob.content) == config["size"]


def test_pushes_are_deterministic_and_a_revision_moves_the_tag(sim: OciRegistrySim) -> None:
    first = sim.push_image("acme/checkout", "v1")
    assert sim.push_image("acme/checkout", "v1") == first
    rebuilt = sim.push_image("acme/checkout", "v1", revision="2")
    assert rebuilt != first
    assert sim.digest("acme/checkout", "v1") == rebuilt


def test_manifest_without_oci_accept_is_manifest_unknown(sim: OciRegistrySim) -> None:
    sim.push_image("acme/checkout", "v2.14.0")
    response = get(sim, "/v2/acme/checkout/manifests/v2.14.0")  # httpx sends */*
    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert error["code"] == "MANIFEST_UNKNOWN"
    assert "accept header does not support OCI manifests" in error["message"]


def test_index_needs_the_index_type_in_accept(sim: OciRegistrySim) -> None:
    sim.push_image("acme/multi", "v1", multi_arch=True)
    refused = get(sim, "/v2/acme/multi/manifests/v1", accept=OCI_MANIFEST)
    assert refused.status_code == 404
    assert "OCI indexes" in refused.json()["errors"][0]["message"]
    index = get(sim, "/v2/acme/multi/manifests/v1", accept=OCI_INDEX).json()
    platforms = [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]]
    assert platforms == [("linux", "amd64"), ("linux", "arm64")]
    for entry in index["manifests"]:
        child = get(sim, f"/v2/acme/multi/manifests/{entry['digest']}", accept=OCI_MANIFEST)
        assert child.status_code == 200 and len(child.content) == entry["size"]


def test_revalidation_with_the_digest_etag_answers_304(sim: OciRegistrySim) -> None:
    pushed = sim.push_image("acme/checkout", "v2.14.0")
    first = get(sim, "/v2/acme/checkout/manifests/v2.14.0", accept=MANIFEST_ACCEPT)
    assert first.headers["etag"] == f'"{pushed}"'
    again = get(
        sim,
        "/v2/acme/checkout/manifests/v2.14.0",
        accept=MANIFEST_ACCEPT,
        **{"if-none-match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.content == b""


def test_unknown_repository_quirks_match_distribution_2_8_2(sim: OciRegistrySim) -> None:
    manifest = get(sim, "/v2/acme/nope/manifests/v1", accept=MANIFEST_ACCEPT)
    assert manifest.status_code == 404
    assert manifest.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    tags = get(sim, "/v2/acme/nope/tags/list")
    assert tags.json()["errors"][0]["code"] == "NAME_UNKNOWN"


def test_referrers_api_is_a_plain_text_404_by_default(sim: OciRegistrySim) -> None:
    pushed = sim.push_image("acme/checkout", "v2.14.0")
    response = get(sim, f"/v2/acme/checkout/referrers/{pushed}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "404 page not found\n"


def test_sign_writes_the_cosign_signature_tag(sim: OciRegistrySim) -> None:
    pushed = sim.push_image("acme/checkout", "v2.14.0")
    signature = sim.sign("acme/checkout", "v2.14.0")
    tag = pushed.replace(":", "-") + ".sig"
    response = get(sim, f"/v2/acme/checkout/manifests/{tag}", accept=OCI_MANIFEST)
    assert response.headers["docker-content-digest"] == signature
    [layer] = response.json()["layers"]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    assert "dev.cosignproject.cosign/signature" in layer["annotations"]
    payload = get(sim, f"/v2/acme/checkout/blobs/{layer['digest']}").json()
    assert payload["critical"]["image"]["docker-manifest-digest"] == pushed
    assert tag in get(sim, "/v2/acme/checkout/tags/list").json()["tags"]


def test_sign_with_referrers_support_pushes_a_subject_artifact() -> None:
    with OciRegistrySim(referrers=True) as sim:
        pushed = sim.push_image("acme/checkout", "v2.14.0")
        signature = sim.sign("acme/checkout", "v2.14.0")
        response = get(sim, f"/v2/acme/checkout/referrers/{pushed}")
        assert response.headers["content-type"] == OCI_INDEX
        [descriptor] = response.json()["manifests"]
        assert descriptor["digest"] == signature
        assert descriptor["artifactType"] == "application/vnd.dev.cosign.artifact.sig.v1+json"
        filtered = get(sim, f"/v2/acme/checkout/referrers/{pushed}?artifactType=text/plain")
        assert filtered.json()["manifests"] == []
        assert filtered.headers["oci-filters-applied"] == "artifactType"
        sim.unsign("acme/checkout", "v2.14.0")
        assert get(sim, f"/v2/acme/checkout/referrers/{pushed}").json()["manifests"] == []


def test_signing_an_image_that_was_never_pushed_is_a_programming_error(
    sim: OciRegistrySim,
) -> None:
    with pytest.raises(KeyError):
        sim.sign("acme/checkout", "v9")


def test_bearer_mode_challenges_and_issues_tokens_for_the_credentials() -> None:
    with OciRegistrySim(credentials=("demo", "pw")) as sim:
        sim.push_image("acme/checkout", "v1")
        challenged = get(sim, "/v2/acme/checkout/manifests/v1", accept=OCI_MANIFEST)
        assert challenged.status_code == 401
        challenge = challenged.headers["www-authenticate"]
        assert f'realm="{sim.url}/token"' in challenge
        assert 'scope="repository:acme/checkout:pull"' in challenge
        assert get(sim, "/token").status_code == 401
        token = _CLIENT.get(sim.url + "/token", auth=("demo", "pw")).json()["token"]
        ok = get(
            sim,
            "/v2/acme/checkout/manifests/v1",
            accept=OCI_MANIFEST,
            authorization=f"Bearer {token}",
        )
        assert ok.status_code == 200


async def test_adapter_sees_the_demo_story_unsigned_then_signed(sim: OciRegistrySim) -> None:
    async with httpx.AsyncClient() as client:
        adapter = adapter_for(sim, client)
        missing, _ = (await adapter.poll()).artifacts
        assert missing.present is False
        assert "repository acme/checkout does not exist" in missing.detail

        pushed = sim.push_image("acme/checkout", "v2.14.0")
        index = sim.push_image("acme/multi", "v1", multi_arch=True)
        unsigned, multi = (await adapter.poll()).artifacts
        assert (unsigned.present, unsigned.digest, unsigned.signed) == (True, pushed, False)
        assert "referrers API not supported" in unsigned.detail
        assert (multi.digest, multi.platforms) == (index, ("linux/amd64", "linux/arm64"))

        sim.sign("acme/checkout", "v2.14.0")
        signed, _ = (await adapter.poll()).artifacts
        assert signed.signed is True
        assert signed.signature == f"acme/checkout:{pushed.replace(':', '-')}.sig"
        assert adapter.http.not_modified >= 2  # both manifests revalidated with 304
        tag_lookups = {a for _, p, a in sim.requests if p.endswith(("/v2.14.0", "/v1", ".sig"))}
        assert tag_lookups == {MANIFEST_ACCEPT}


async def test_adapter_through_the_sims_bearer_flow() -> None:
    with OciRegistrySim(credentials=("demo", "pw"), referrers=True) as sim:
        sim.push_image("acme/checkout", "v2.14.0")
        sim.push_image("acme/multi", "v1", multi_arch=True)
        sim.sign("acme/checkout", "v2.14.0")
        async with httpx.AsyncClient() as client:
            adapter = adapter_for(sim, client, user="demo", token="pw")
            checkout, multi = (await adapter.poll()).artifacts
            assert checkout.signed is True and "referrers API" in checkout.detail
            assert multi.signed is False
            issued = sim.token_requests
            await adapter.poll()
            assert sim.token_requests == issued  # cached tokens, no new token requests

            wrong = adapter_for(sim, client, user="demo", token="nope")
            with pytest.raises(SourceError) as caught:
                await wrong.poll()
            assert caught.value.kind is ErrorKind.AUTH
            assert "127.0.0.1" in caught.value.message


def test_stop_releases_the_port() -> None:
    sim = OciRegistrySim().start()
    url = sim.url
    sim.stop()
    with pytest.raises(httpx.TransportError):
        _CLIENT.get(url + "/v2/", timeout=1)
