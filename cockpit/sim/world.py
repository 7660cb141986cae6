"""The demo world: every simulator on loopback, and the release timeline that drives them.

The timeline is data: `(seconds after the scenario start, what happens)`. A background thread
applies each event once when scenario time passes it, so `cockpit demo --speed 10` plays the same
story ten times faster. What the cockpit shows comes only from polling the simulators over HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType

from cockpit.clock import Clock
from cockpit.sim.alertmanager import AlertmanagerSim
from cockpit.sim.github import GitHubSim
from cockpit.sim.gitlab import GitLabSim
from cockpit.sim.jenkins import JenkinsSim
from cockpit.sim.oci import OciRegistrySim
from cockpit.sim.prometheus import PrometheusSim, scenario_values
from cockpit.sim.scenario import Scenario

RELEASE_TAG = "v2.14.0"
CHECKOUT_ALERT = "CheckoutLatencyHigh"
CHECKOUT_ALERT_LABELS = {"service": "checkout", "severity": "critical"}
NOISY_ALERT = "PaymentsDiskSpaceLow"

# How often the timeline thread looks at the scenario clock (real seconds).
_TICK_S = 0.1


@dataclass(frozen=True)
class Event:
    """Something that happens `at_s` scenario seconds into the release."""

    at_s: float
    description: str
    apply: Callable[[], object]


class DemoWorld:
    """Starts the simulators, exposes their URLs by source name, and plays the timeline."""

    def __init__(self, clock: Clock, *, scenario: Scenario | None = None) -> None:
        self.clock = clock
        self.scenario = scenario or Scenario(clock)
        self.github = GitHubSim(self.scenario)
        self.gitlab = GitLabSim(self.scenario)
        self.jenkins = JenkinsSim(self.scenario)
        self.registry = OciRegistrySim()
        self.prometheus = PrometheusSim(scenario_values(self.scenario), clock)
        self.alertmanager = AlertmanagerSim(clock)
        self.applied: list[str] = []
        self._stack = ExitStack()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending = sorted(self.timeline(), key=lambda e: e.at_s)

    def timeline(self) -> list[Event]:
        """The release story the readiness pane follows."""
        return [
            Event(0, "checkout image pushed, not yet signed", self._push_images),
            Event(0, "a silenced disk alert on payments", self._noisy_alert),
            Event(120, f"{CHECKOUT_ALERT} fires", self._fire_checkout_alert),
            Event(180, "the checkout image is signed", self._sign_checkout),
            Event(300, f"{CHECKOUT_ALERT} resolves", self._resolve_checkout_alert),
        ]

    @property
    def urls(self) -> dict[str, str]:
        """Base URLs by the source names used in config/demo.yaml."""
        return {
            "gh": self.github.api_url,
            "gl": self.gitlab.api_url,
            "jk": self.jenkins.url,
            "registry": self.registry.url,
            "prom": self.prometheus.url,
            "am": self.alertmanager.url,
        }

    def start(self) -> DemoWorld:
        sims = (self.github, self.gitlab, self.jenkins, self.registry, self.prometheus)
        for sim in (*sims, self.alertmanager):
            self._stack.enter_context(sim)
        self.advance()
        self._thread = threading.Thread(target=self._run, name="sim-timeline", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._stack.close()

    def __enter__(self) -> DemoWorld:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def advance(self) -> list[str]:
        """Apply every event whose time has come; what happened (tests call this directly)."""
        elapsed = self.scenario.elapsed()
        happened = []
        while self._pending and self._pending[0].at_s <= elapsed:
            event = self._pending.pop(0)
            event.apply()
            happened.append(event.description)
        self.applied.extend(happened)
        return happened

    def _run(self) -> None:
        while not self._stop.wait(_TICK_S):
            self.advance()

    # The events ------------------------------------------------------------------------

    def _push_images(self) -> None:
        for service in self.scenario.services:
            self.registry.push_image(
                f"acme/{service}", RELEASE_TAG, multi_arch=service == "checkout"
            )

    def _sign_checkout(self) -> None:
        self.registry.sign("acme/checkout", RELEASE_TAG)

    def _fire_checkout_alert(self) -> None:
        self.alertmanager.fire(
            CHECKOUT_ALERT, CHECKOUT_ALERT_LABELS, "p99 latency above 800ms on checkout"
        )

    def _resolve_checkout_alert(self) -> None:
        self.alertmanager.resolve(CHECKOUT_ALERT)

    def _noisy_alert(self) -> None:
        self.alertmanager.fire(
            NOISY_ALERT, {"service": "payments", "severity": "warning"}, "disk 85% full"
        )
        self.alertmanager.silence(NOISY_ALERT)
