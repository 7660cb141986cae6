"""The baseline: a minimal Textual app (Header, Footer, one Static) with the cockpit's quit key.

Every TUI figure of the cockpit is also measured on this app in the same run, and reported as a
ratio, because absolute times on shared machines drift. Run it as a script:
`python bench/minimal_app.py`. It prints `MINIMAL READY` in the Static (the first-paint marker)
and quits on `q`.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

MARKER = "MINIMAL READY"


class MinimalApp(App[None]):
    """Header (no clock), Footer, one Static: the floor any Textual app pays."""

    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(MARKER)
        yield Footer()


def main() -> int:
    app = MinimalApp()
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
