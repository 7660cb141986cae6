"""The Release Cockpit benchmark: `python -m bench` (see bench/README.md)."""
