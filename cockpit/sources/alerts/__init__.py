"""Alert adapters: Alertmanager (API v2) and its label matchers."""

from cockpit.sources.alerts.alertmanager import AlertmanagerAdapter, matching
from cockpit.sources.alerts.matchers import Matcher, MatchType, parse_matcher, parse_matchers

__all__ = [
    "AlertmanagerAdapter",
    "MatchType",
    "Matcher",
    "matching",
    "parse_matcher",
    "parse_matchers",
]
