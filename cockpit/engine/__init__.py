"""The poll engine: one shared HTTP client, never-overlapping schedules, honest freshness."""
