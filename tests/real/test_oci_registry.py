"""The OCI registry adapter against a real distribution 2.8.2 registry on loopback.

Pushed once per module: `acme/checkout:v2.14.0` signed the cosign way (a `sha256-<hex>.sig`
tag), `acme/payments:v1.0.0` unsigned, and `acme/multi:v1` an OCI index of two platforms.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import ArtifactTarget, Source
from cockpit.engine.http import SourceHttp
from cockpit.sources.oci import MANIFEST_ACCEPT, OciRegistryAdapter
from tests.real.registry_server import (  # noqa: F401 (registry_server is a fixture)
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryServer,
    push_cosign_signature,
    push_image,
    push_index,
    registry_server,
)

pytestmark = pytest.mark.real

SOURCE = "registry"


@dataclass(frozen=True)
class Pushed:
    url: str
    checkout: str
    checkout_signature: str
    payments: str
    multi: str


@pytest.fixture(scope="module")
def pushed(registry_server: RegistryServer) -> Pushed:  # noqa: F811 (the imported fixture)
    url = registry_server.url
    with httpx.Client(timeout=10) as client:
        checkout, _ = push_image(client, url, "acme/checkout", "v2.14.0")
        signature = push_cosign_signature(client, url, "acme/checkout", checkout)
        payments, _ = push_image(client, url, "acme/payments", "v1.0.0")
        multi = push_index(client, url, "acme/multi", "v1")
    return Pushed(url, checkout, signature, payments, multi)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as shared:
        yield shared


def adapter(
    pushed: Pushed, client: httpx.AsyncClient, *targets: tuple[str, str, str]
) -> OciRegistryAdapter:
    http = SourceHttp(client, SOURCE, pushed.url, clock=FakeClock())
    source = Source(kind="oci-registry", url=pushed.url, interval=15.0)
    configured = [
        (service, ArtifactTarget(source=SOURCE, image=image, tag=tag))
        for service, image, tag in targets
    ]
    return OciRegistryAdapter(SOURCE, source, configured, "v2.14.0", http)


async def test_signed_image_is_present_with_the_pushed_digest_via_cosign_tag_fallback(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    checkout = adapter(pushed, client, ("checkout", "acme/checkout", "{release.ref}"))
    [status] = (await checkout.poll()).artifacts
    assert (status.image, status.tag, status.present) == ("acme/checkout", "v2.14.0", True)
    assert status.digest == pushed.checkout
    assert status.media_type == OCI_MANIFEST
    assert status.signed is True
    assert status.signature == f"acme/checkout:{pushed.checkout.replace(':', '-')}.sig"
    assert "referrers API not supported (HTTP 404)" in status.detail
    assert "signature found at cosign tag" in status.detail
    assert status.source == SOURCE


async def test_unsigned_image_is_present_and_unsigned(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    payments = adapter(pushed, client, ("payments", "acme/payments", "v1.0.0"))
    [status] = (await payments.poll()).artifacts
    assert status.present is True
    assert status.digest == pushed.payments
    assert status.signed is False
    assert "no cosign tag" in status.detail


async def test_index_reports_the_index_digest_and_its_platforms(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    multi = adapter(pushed, client, ("multi", "acme/multi", "v1"))
    [status] = (await multi.poll()).artifacts
    assert status.present is True
    assert status.digest == pushed.multi
    assert status.media_type == OCI_INDEX
    assert status.platforms == ("linux/amd64", "linux/arm64")


async def test_unknown_tag_and_unknown_repository_are_absent(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    lookups = adapter(
        pushed,
        client,
        ("checkout", "acme/checkout", "v9.9.9"),
        ("ghost", "acme/ghost", "v1"),
    )
    missing_tag, missing_repo = (await lookups.poll()).artifacts
    assert missing_tag.present is False
    assert "acme/checkout:v9.9.9 not found" in missing_tag.detail
    assert missing_repo.present is False
    assert "repository acme/ghost does not exist" in missing_repo.detail


async def test_second_poll_is_revalidated_with_304s(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    checkout = adapter(pushed, client, ("checkout", "acme/checkout", "v2.14.0"))
    first = await checkout.poll()
    assert checkout.http.requests == 3  # manifest, referrers (404), cosign tag
    assert checkout.http.not_modified == 0
    second = await checkout.poll()
    assert second.artifacts[0].digest == first.artifacts[0].digest
    assert second.artifacts[0].signed is True
    # Referrers are known to be unsupported; manifest and signature tag answer 304.
    assert checkout.http.requests == 5
    assert checkout.http.not_modified == 2


async def test_digest_matches_docker_content_digest(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    checkout = adapter(pushed, client, ("checkout", "acme/checkout", "v2.14.0"))
    [status] = (await checkout.poll()).artifacts
    head = await client.head(
        f"{pushed.url}/v2/acme/checkout/manifests/v2.14.0", headers={"Accept": MANIFEST_ACCEPT}
    )
    assert head.status_code == 200
    assert status.digest == head.headers["docker-content-digest"]


async def test_the_registry_quirks_the_adapter_relies_on(
    pushed: Pushed, client: httpx.AsyncClient
) -> None:
    """If a distribution upgrade changes these, the adapter's fallbacks need another look."""
    no_accept = await client.get(f"{pushed.url}/v2/acme/checkout/manifests/v2.14.0")
    assert no_accept.status_code == 404
    assert no_accept.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    assert "accept header" in no_accept.json()["errors"][0]["message"]
    referrers = await client.get(f"{pushed.url}/v2/acme/checkout/referrers/{pushed.checkout}")
    assert referrers.status_code == 404
    assert referrers.headers["content-type"].startswith("text/plain")
    unknown_repo = await client.get(
        f"{pushed.url}/v2/acme/ghost/manifests/v1", headers={"Accept": MANIFEST_ACCEPT}
    )
    assert unknown_repo.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"  # not NAME_UNKNOWN
    tags = await client.get(f"{pushed.url}/v2/acme/ghost/tags/list")
    assert tags.json()["errors"][0]["code"] == "NAME_UNKNOWN"
