"""Adapters for real systems, one file per system, behind a small Protocol per kind."""
