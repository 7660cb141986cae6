"""Release Cockpit: the headless core (no Textual here)."""

__version__ = "0.1.0"
