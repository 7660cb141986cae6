"""Metrics adapters: Prometheus (PromQL over the HTTP API v1)."""

from cockpit.sources.metrics.prometheus import PrometheusAdapter, RangeResult, RangeSeries

__all__ = ["PrometheusAdapter", "RangeResult", "RangeSeries"]
