"""The one entry point, `cockpit`. Headless commands never import Textual.

Every user mistake exits 2 with a message on stderr; every remote failure is reported as data.
Only a bug produces a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cockpit import __version__
from cockpit.errors import CockpitError

if TYPE_CHECKING:
    from contextlib import ExitStack

    from cockpit.clock import Clock
    from cockpit.session import Session, SessionBuild

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a hint instead of a bare usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"cockpit: error: {message} (see `cockpit --help`)\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cockpit",
        description="Release Cockpit: pipelines, readiness, rollout and logs on one honest screen.",
    )
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    parser.add_argument("--config", metavar="FILE", help="config file (else $COCKPIT_CONFIG, XDG)")
    parser.add_argument("--read-only", action="store_true", help="bind no mutating action")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the TUI against the built-in simulated release")
    demo.add_argument("--speed", type=_positive_float, default=1.0, help="scenario speed (x)")
    demo.add_argument("--read-only", action="store_true", dest="sub_read_only")
    demo.add_argument("--no-clock", action="store_true", help="hide the header clock")

    validate = sub.add_parser("validate", help="check config files, print every problem")
    validate.add_argument("files", nargs="*", metavar="FILE")

    status = sub.add_parser("status", help="poll every source once, print the snapshot")
    status.add_argument("--json", action="store_true", help="one JSON document on stdout")
    status.add_argument("--config", dest="sub_config", metavar="FILE")

    check = sub.add_parser("check", help="evaluate the readiness gates once: GO / NO-GO")
    check.add_argument("--json", action="store_true", help="one JSON document on stdout")
    check.add_argument("--config", dest="sub_config", metavar="FILE")
    check.add_argument("--release", metavar="REF", help="override release.ref")

    config = sub.add_parser("config", help="config helpers")
    config_sub = config.add_subparsers(dest="config_command", parser_class=_Parser, required=True)
    config_sub.add_parser("schema", help="print the config JSON Schema")

    init = sub.add_parser("init", help="write a commented starter config")
    init.add_argument("path", nargs="?", help="where to write (default: the XDG config path)")

    secret = sub.add_parser("secret", help="store secrets in the OS keyring")
    secret_sub = secret.add_subparsers(dest="secret_command", parser_class=_Parser, required=True)
    secret_set = secret_sub.add_parser("set", help="store a secret as {keyring: cockpit/NAME}")
    secret_set.add_argument("name")
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args, sys.stdout, sys.stderr)
    except CockpitError as exc:
        _print_error(exc, sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _print_error(exc: CockpitError, stderr: TextIO, *, prefix: str = "") -> None:
    stderr.write(f"cockpit: {prefix}{exc.message}\n")
    for problem in getattr(exc, "problems", []):
        stderr.write(f"  {problem}\n")
    if exc.hint:
        stderr.write(f"hint: {exc.hint}\n")


def _dispatch(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    command = args.command
    if command == "validate":
        from cockpit.commands.config_cmds import cmd_validate

        return cmd_validate(args.files, stdout, stderr, os.environ, config_path=args.config)
    if command == "config":
        from cockpit.commands.config_cmds import cmd_config_schema

        return cmd_config_schema(stdout)
    if command == "init":
        from cockpit.commands.config_cmds import cmd_init

        return cmd_init(args.path, Path.cwd(), stdout, stderr, os.environ)
    if command == "secret":
        from cockpit.commands.config_cmds import cmd_secret_set

        return cmd_secret_set(args.name, sys.stdin, stdout, stderr)
    if command == "status":
        from cockpit.commands.status import cmd_status

        return cmd_status(args.sub_config or args.config, args.json, stdout, stderr, os.environ)
    if command == "check":
        from cockpit.commands.check import cmd_check

        return cmd_check(
            args.sub_config or args.config, args.release, args.json, stdout, stderr, os.environ
        )
    if command == "demo":
        return _run_demo(args, stderr)
    return _run_tui(args.config, args.read_only, stderr)


def _run_demo(args: argparse.Namespace, stderr: TextIO) -> int:
    from cockpit.clock import ScaledClock

    clock = ScaledClock(speed=args.speed)
    read_only = args.read_only or args.sub_read_only

    def build(resources: ExitStack) -> Session:
        from cockpit.demo import open_demo  # the world and its config: after the first frame

        return open_demo(resources, clock, read_only=read_only)

    return _launch(
        build, clock, title="DEMO: simulated release", show_clock=not args.no_clock, stderr=stderr
    )


def _run_tui(config_path: str | None, read_only: bool, stderr: TextIO) -> int:
    from cockpit.clock import SystemClock
    from cockpit.commands.status import load_discovered_config

    # A config error ends here, on stderr with exit 2, before the TUI takes the terminal.
    config = load_discovered_config(config_path, os.environ, stderr)
    if config is None:
        return EXIT_USAGE
    clock = SystemClock()

    def build(_resources: ExitStack) -> Session:
        from cockpit.session import engine_session

        return engine_session(config, clock, os.environ, read_only=read_only)

    return _launch(build, clock, stderr=stderr)


def _launch(
    build: SessionBuild,
    clock: Clock,
    *,
    stderr: TextIO,
    title: str | None = None,
    show_clock: bool = True,
) -> int:
    """Run the TUI until the operator (or a hang-up) ends it; the session is built after paint.

    What the build opened is closed after the App has stopped its feed. A start-up failure the
    TUI showed is repeated on stderr, where it outlives the screen, and the exit code is 1.
    """
    from cockpit.session import SessionStarter

    # The one sanctioned upward import (see the import contracts): Textual loads only here.
    from screens.app import make_starting_app

    with SessionStarter(build) as starter:
        app = make_starting_app(starter.start, clock, title=title, show_clock=show_clock)
        app.run()
    error = app.startup_error
    if error is None:
        return app.return_code or EXIT_OK
    if isinstance(error, CockpitError):
        _print_error(error, stderr, prefix="could not start: ")
    else:  # a bug: the traceback the screen had no room for
        traceback.print_exception(error, file=stderr)
    return app.return_code or EXIT_FAIL
