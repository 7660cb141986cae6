"""The Alertmanager simulator: the scenario's fire/resolve/silence, seen through the adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.sim.alertmanager import AlertmanagerSim, fingerprint, rfc3339
from cockpit.sources.alerts import AlertmanagerAdapter, matching, parse_matchers

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[AlertmanagerSim]:
    with AlertmanagerSim(clock) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http_client:
        yield http_client


@pytest.fixture
def adapter(
    sim: AlertmanagerSim, client: httpx.AsyncClient, clock: FakeClock
) -> AlertmanagerAdapter:
    http = SourceHttp(client, "am", sim.url, clock=clock)
    return AlertmanagerAdapter("am", Source(kind="alertmanager", url=sim.url), (), http)


def test_fingerprints_are_alertmanagers() -> None:
    # Recorded from Alertmanager 0.25 for the same label sets.
    labels = {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"}
    assert fingerprint(labels) == "4889ff3223809fa0"
    labels = {"alertname": "DiskFull", "service": "payments", "severity": "warning"}
    assert fingerprint(labels) == "64c7fd2a80389f75"


def test_times_are_written_as_alertmanager_does() -> None:
    assert rfc3339(datetime(2026, 11, 23, 7, 19, 55, 559123, tzinfo=UTC)) == (
        "2026-11-23T07:19:55.559Z"
    )


async def test_fire_silence_resolve_through_the_adapter(
    sim: AlertmanagerSim, adapter: AlertmanagerAdapter, clock: FakeClock
) -> None:
    assert (await adapter.poll()).alerts == ()
    sim.fire("CheckoutErrors", {"service": "checkout", "severity": "critical"}, "5xx high")
    sim.fire("DiskFull", {"service": "payments", "severity": "warning"}, "disk 91%")
    (firing, disk) = (await adapter.poll()).alerts
    assert (firing.name, firing.state, firing.summary) == ("CheckoutErrors", "active", "5xx high")
    assert firing.starts_at == NOW
    assert firing.fingerprint == "4889ff3223809fa0"

    silence_id = sim.silence("DiskFull")
    alerts = (await adapter.poll()).alerts
    disk = next(a for a in alerts if a.name == "DiskFull")
    assert (disk.state, disk.silenced_by) == ("suppressed", (silence_id,))

    await clock.advance(60)
    assert sim.resolve("CheckoutErrors") == 1
    assert sim.resolve("CheckoutErrors") == 0
    assert [a.name for a in (await adapter.poll()).alerts] == ["DiskFull"]


async def test_a_silence_ends(
    sim: AlertmanagerSim, adapter: AlertmanagerAdapter, clock: FakeClock
) -> None:
    sim.fire("DiskFull", {"service": "payments"})
    sim.silence("DiskFull", duration=timedelta(minutes=10))
    assert (await adapter.poll()).alerts[0].state == "suppressed"
    await clock.advance(601)
    assert (await adapter.poll()).alerts[0].state == "active"


async def test_refiring_keeps_the_start_and_updates_the_summary(
    sim: AlertmanagerSim, adapter: AlertmanagerAdapter, clock: FakeClock
) -> None:
    sim.fire("CheckoutErrors", {"service": "checkout"}, "first")
    await clock.advance(30)
    sim.fire("CheckoutErrors", {"service": "checkout"}, "second")
    (alert,) = (await adapter.poll()).alerts
    assert (alert.starts_at, alert.summary) == (NOW, "second")


async def test_the_response_follows_gettable_alert_field_for_field(
    sim: AlertmanagerSim, client: httpx.AsyncClient
) -> None:
    sim.fire("CheckoutErrors", {"service": "checkout", "severity": "critical"}, "5xx high")
    (body,) = (await client.get(f"{sim.url}/api/v2/alerts")).json()
    assert body == {
        "annotations": {"summary": "5xx high"},
        "endsAt": "2026-11-23T10:05:00.000Z",
        "fingerprint": "4889ff3223809fa0",
        "receivers": [{"name": "release-cockpit"}],
        "startsAt": "2026-11-23T10:00:00.000Z",
        "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
        "updatedAt": "2026-11-23T10:00:00.000Z",
        "labels": {"service": "checkout", "severity": "critical", "alertname": "CheckoutErrors"},
    }


async def test_query_flags_and_filters(sim: AlertmanagerSim, client: httpx.AsyncClient) -> None:
    sim.fire("A", {"service": "checkout"})
    sim.fire("B", {"service": "payments"})
    sim.silence("B")

    async def names(**params: str) -> list[str]:
        response = await client.get(f"{sim.url}/api/v2/alerts", params=params)
        return sorted(a["labels"]["alertname"] for a in response.json())

    assert await names() == ["A", "B"]
    assert await names(silenced="false") == ["A"]
    assert await names(active="false") == ["B"]
    assert await names(filter='service=~"check.*"') == ["A"]
    assert await names(receiver="nobody") == []
    bad = await client.get(f"{sim.url}/api/v2/alerts", params={"active": "maybe"})
    assert bad.status_code == 400


async def test_posted_alerts_and_silences_behave_like_alertmanager(
    sim: AlertmanagerSim, client: httpx.AsyncClient, adapter: AlertmanagerAdapter
) -> None:
    ends = rfc3339(NOW + timedelta(hours=1))
    posted = await client.post(
        f"{sim.url}/api/v2/alerts",
        json=[{"labels": {"alertname": "X", "service": "checkout", "empty": ""}, "endsAt": ends}],
    )
    assert (posted.status_code, posted.content) == (200, b"")
    (alert,) = (await client.get(f"{sim.url}/api/v2/alerts")).json()
    # Alertmanager 0.25: a missing startsAt becomes endsAt; empty labels are dropped.
    assert alert["startsAt"] == alert["endsAt"] == ends
    assert "empty" not in alert["labels"]

    silence = {
        "matchers": [{"name": "service", "value": "check.*", "isRegex": True, "isEqual": True}],
        "startsAt": rfc3339(NOW),
        "endsAt": ends,
        "createdBy": "test",
        "comment": "quiet",
    }
    created = await client.post(f"{sim.url}/api/v2/silences", json=silence)
    silence_id = created.json()["silenceID"]
    (listed,) = (await client.get(f"{sim.url}/api/v2/silences")).json()
    assert listed["id"] == silence_id and listed["status"] == {"state": "active"}
    assert listed["matchers"] == silence["matchers"]
    (polled,) = (await adapter.poll()).alerts
    assert polled.silenced_by == (silence_id,)

    deleted = await client.delete(f"{sim.url}/api/v2/silence/{silence_id}")
    assert deleted.status_code == 200
    assert (await adapter.poll()).alerts[0].state == "active"
    missing = await client.delete(f"{sim.url}/api/v2/silence/nope")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"labels": {}}, {"nolabels": 1}, {"labels": {"a": "b"}, "startsAt": "yesterday"}],
)
async def test_invalid_posted_alerts_are_400(
    sim: AlertmanagerSim, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post(f"{sim.url}/api/v2/alerts", json=[body])
    assert response.status_code == 400


async def test_matching_on_sim_alerts(sim: AlertmanagerSim, adapter: AlertmanagerAdapter) -> None:
    sim.fire("CheckoutErrors", {"service": "checkout", "severity": "critical"})
    sim.fire("CheckoutSlow", {"service": "checkout", "severity": "warning"})
    sim.fire("PaymentsDown", {"service": "payments", "severity": "page"})
    alerts = (await adapter.poll()).alerts
    gate = parse_matchers('service="checkout",severity=~"critical|page"')
    assert [a.name for a in matching(alerts, gate)] == ["CheckoutErrors"]


def test_alerts_snapshot_for_the_scenario(sim: AlertmanagerSim) -> None:
    sim.fire("A", {"service": "checkout"}, "s")
    assert [a["labels"]["alertname"] for a in sim.alerts()] == ["A"]
    sim.clear()
    assert sim.alerts() == []
