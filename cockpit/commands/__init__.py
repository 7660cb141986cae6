"""Headless command implementations called by the CLI."""
