"""AlertmanagerAdapter, matchers and the simulator's fidelity against a real Alertmanager."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.config.models import Source
from cockpit.engine.http import SourceHttp
from cockpit.errors import ErrorKind, SourceError
from cockpit.models.release_data import Alert
from cockpit.sim.alertmanager import AlertmanagerSim, fingerprint
from cockpit.sources.alerts import AlertmanagerAdapter, matching, parse_matchers
from tests.real.alertmanager_server import (
    FIRING,
    SILENCED,
    WARNING,
    AlertmanagerServer,
    alertmanager,
)
from tests.real.prometheus_server import free_port

pytestmark = pytest.mark.real
__all__ = ["alertmanager"]  # the fixture, imported so pytest finds it here

# Matchers whose meaning must be Alertmanager's own (anchoring, missing labels, negation).
MATCHER_CASES = [
    'service="checkout"',
    'service="checkout",severity=~"critical|page"',
    'severity=~"crit"',
    'severity=~"crit.*"',
    'severity!~"critical|page"',
    'service!="checkout"',
    'team=""',
    'team!="ops"',
    "severity=~warning|page",
    'alertname=~"Checkout.+",severity!="warning"',
]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http_client:
        yield http_client


def adapter(url: str, client: httpx.AsyncClient) -> AlertmanagerAdapter:
    http = SourceHttp(client, "am", url, clock=FakeClock(), timeout=5)
    source = Source(kind="alertmanager", url=url)
    return AlertmanagerAdapter("am", source, [['service="checkout"']], http)


async def poll(server: AlertmanagerServer, client: httpx.AsyncClient) -> dict[str, Alert]:
    alerts = (await adapter(server.url, client).poll()).alerts
    return {alert.name: alert for alert in alerts}


async def test_the_firing_alert_is_active(
    alertmanager: AlertmanagerServer, client: httpx.AsyncClient
) -> None:
    firing = (await poll(alertmanager, client))["CheckoutErrors"]
    assert firing.state == "active"
    assert not firing.silenced
    assert (firing.silenced_by, firing.inhibited_by) == ((), ())
    assert firing.labels == FIRING
    assert firing.starts_at == alertmanager.starts_at
    assert firing.summary == "5xx ratio above 2% on checkout"  # the escape codes are gone
    assert firing.fingerprint == fingerprint(FIRING)
    assert firing.source == "am"


async def test_the_silenced_alert_is_suppressed_by_the_silence(
    alertmanager: AlertmanagerServer, client: httpx.AsyncClient
) -> None:
    silenced = (await poll(alertmanager, client))["PaymentsDiskFull"]
    assert silenced.state == "suppressed"
    assert silenced.silenced_by == (alertmanager.silence_id,)
    assert silenced.silenced
    assert silenced.labels == SILENCED


async def test_all_alerts_are_kept_and_matchers_pick_the_gates_own(
    alertmanager: AlertmanagerServer, client: httpx.AsyncClient
) -> None:
    alerts = tuple((await poll(alertmanager, client)).values())
    assert {a.name for a in alerts} == {"CheckoutErrors", "CheckoutSlow", "PaymentsDiskFull"}
    gate = parse_matchers('service="checkout", severity=~"critical|page"')
    assert [a.name for a in matching(alerts, gate)] == ["CheckoutErrors"]
    pages = matching(alerts, parse_matchers('severity=~"critical|page"'))
    assert {a.name: a.silenced for a in pages} == {
        "CheckoutErrors": False,
        "PaymentsDiskFull": True,
    }
    assert [
        a.name for a in matching(alerts, parse_matchers(f'alertname="{WARNING["alertname"]}"'))
    ] == ["CheckoutSlow"]


@pytest.mark.parametrize("text", MATCHER_CASES)
async def test_our_matchers_select_what_alertmanager_selects(
    alertmanager: AlertmanagerServer, client: httpx.AsyncClient, text: str
) -> None:
    # The API takes one matcher per `filter` parameter (a comma list is a 400 there).
    matchers = parse_matchers(text)
    filters = [str(m) for m in matchers]
    theirs = await client.get(f"{alertmanager.url}/api/v2/alerts", params={"filter": filters})
    assert theirs.status_code == 200, theirs.text
    alerts = (await adapter(alertmanager.url, client).poll()).alerts
    ours = {a.fingerprint for a in matching(alerts, matchers)}
    assert ours == {a["fingerprint"] for a in theirs.json()}


async def test_alertmanager_down_is_unreachable_naming_the_source(
    client: httpx.AsyncClient,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SourceError) as caught:
        await adapter(url, client).poll()
    assert caught.value.kind is ErrorKind.UNREACHABLE
    assert caught.value.source == "am"
    assert caught.value.message.startswith("am: ")


async def test_the_simulator_answers_field_for_field(
    alertmanager: AlertmanagerServer, client: httpx.AsyncClient
) -> None:
    real = (await client.get(f"{alertmanager.url}/api/v2/alerts")).json()
    with AlertmanagerSim(FakeClock()) as sim:
        for labels in (FIRING, WARNING, SILENCED):
            rest = {k: v for k, v in labels.items() if k != "alertname"}
            sim.fire(labels["alertname"], rest, "summary")
        sim.silence(SILENCED["alertname"])
        simulated = (await client.get(f"{sim.url}/api/v2/alerts")).json()

    def shape(alert: dict[str, object]) -> object:
        status = alert["status"]
        assert isinstance(status, dict)
        return (sorted(alert), sorted(status), status["state"], alert["fingerprint"])

    assert [shape(a) for a in simulated] == [shape(a) for a in real]
