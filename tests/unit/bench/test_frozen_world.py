"""The frozen world's config: N sources, each serving its share of distinct services."""

from __future__ import annotations

from collections import Counter

from bench.frozen_world import service_name, world_config


def test_fifty_sources_every_ten_seconds_one_service_each() -> None:
    config = world_config("http://127.0.0.1:9", sources=50)
    assert len(config.sources) == 50
    assert {s.interval for s in config.sources.values()} == {10.0}
    assert {s.url for s in config.sources.values()} == {"http://127.0.0.1:9"}
    assert len(config.services) == 50
    assert Counter(s.ci.source for s in config.services if s.ci).most_common(1)[0][1] == 1


def test_five_hundred_services_have_distinct_repositories_spread_over_the_sources() -> None:
    config = world_config("http://127.0.0.1:9", sources=50, services_per_source=10)
    repos = [s.ci.repo for s in config.services if s.ci]
    assert len(repos) == len(set(repos)) == 500
    assert set(Counter(s.ci.source for s in config.services if s.ci).values()) == {10}
    assert repos[17] == "acme/payments--017"
    assert service_name(17) == "payments-017"
    assert config.read_only
