"""`cockpit validate`, `cockpit config schema`, `cockpit init` and `cockpit secret set`.

Each command takes its streams and environment as arguments (tests pass their own) and returns
the exit code: 0 for success, 2 for a config or usage problem. Nothing here prints a traceback
for a user mistake, and nothing ever prints a secret.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from cockpit.config.discovery import default_config_path, expand_user, find_config
from cockpit.config.loader import check_config_file
from cockpit.config.models import json_schema
from cockpit.config.problems import Problem, summary
from cockpit.config.secrets import check_keyring, check_secret_name, store_secret
from cockpit.config.starter import write_starter
from cockpit.errors import CockpitError, ConfigError, SecretError
from cockpit.text import sanitize

EXIT_OK, EXIT_PROBLEMS = 0, 2


def _error(stderr: TextIO, exc: CockpitError) -> int:
    stderr.write(f"cockpit: {sanitize(exc.message)}\n")
    if exc.hint:
        stderr.write(f"hint: {sanitize(exc.hint)}\n")
    return EXIT_PROBLEMS


def cmd_validate(
    paths: Sequence[str],
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
    *,
    config_path: str | None = None,
) -> int:
    """Check config files and print every problem.

    Args:
        paths: Files to check; empty means the discovered config (`config_path`, which is the
            global `--config`, then `$COCKPIT_CONFIG`, then the XDG path).
        stdout: Gets `ok: FILE` for each clean file.
        stderr: Gets each problem on its own line, then `N problems in M files`.
        environ: The environment, for discovery.
        config_path: The global `--config` value, used only when `paths` is empty.

    Returns:
        0 when every file is clean, 2 otherwise (including "no config found").
    """
    targets = list(paths)
    if not targets:
        found, looked = find_config(config_path, environ)
        if found is None:
            stderr.write("cockpit: no config found. Looked in:\n")
            stderr.writelines(f"  {place}\n" for place in looked)
            stderr.write("hint: run `cockpit init` to write a commented starter config\n")
            return EXIT_PROBLEMS
        targets = [str(found)]
    problems: list[Problem] = []
    for target in targets:
        found_here = check_config_file(target)[1]
        if found_here:
            stderr.writelines(f"{problem}\n" for problem in found_here)
        else:
            stdout.write(f"ok: {sanitize(target)}\n")
        problems += found_here
    if problems:
        stderr.write(f"{summary(problems)}\n")
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_config_schema(stdout: TextIO) -> int:
    """Print the config JSON Schema (`cockpit config schema > config/schema.json`)."""
    stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK


def cmd_init(
    path: str | None,
    cwd: Path,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str],
) -> int:
    """Write a commented starter config, check it, and say what to do next.

    Args:
        path: Where to write; None means `$XDG_CONFIG_HOME/cockpit/config.yaml`.
        cwd: The directory whose git checkout pre-fills the starter.
        stdout: Gets where the file was written and the next steps.
        stderr: Gets the reason when nothing was written.
        environ: The environment (XDG_CONFIG_HOME, HOME, COCKPIT_CONFIG).

    Returns:
        0 when written, 2 when the file exists or cannot be written.
    """
    target = expand_user(path, environ) if path else default_config_path(environ)
    try:
        write_starter(target, cwd)
    except ConfigError as exc:
        return _error(stderr, exc)
    problems = check_config_file(target)[1]
    if problems:  # the starter is tested to be clean: this is a bug, but say it plainly
        stderr.writelines(f"{problem}\n" for problem in problems)
        return EXIT_PROBLEMS
    discovered = find_config(None, environ)[1][0]
    flag = "" if discovered.resolve() == target.resolve() else f" --config {target}"
    stdout.write(
        f"wrote {target}\n"
        "next:\n"
        "  1. edit it: the release, your sources, services and gates (see the comments)\n"
        "  2. provide the tokens it references: export the {env: VAR} variables, or store\n"
        "     them with `cockpit secret set NAME` and write {keyring: cockpit/NAME}\n"
        f"  3. check it:  cockpit{flag} validate\n"
        f"  4. start:     cockpit{flag}\n"
    )
    return EXIT_OK


def cmd_secret_set(
    name: str,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    *,
    value_from: Callable[[str], str] = getpass.getpass,
) -> int:
    """Store a secret in the OS keyring as `{keyring: cockpit/NAME}`; the value is never echoed.

    Args:
        name: The secret's name (the config then says `{keyring: cockpit/NAME}`).
        stdin: Where the value comes from: when it is a terminal, `value_from` prompts for it
            without echo; otherwise its first line is the value (`pass show x | cockpit ...`).
        stdout: Gets the confirmation and how to reference the secret.
        stderr: Gets the reason nothing was stored.
        value_from: The hidden-input prompt used on a terminal (`getpass.getpass`).

    Returns:
        0 when stored; 2 for a bad name, an empty value, or no usable keyring backend.
    """
    ref = f"{{keyring: cockpit/{name}}}"
    try:
        check_secret_name(name)
        check_keyring(name)  # before asking, so nobody types a token for nothing
        if stdin.isatty():
            value = value_from(f"value for {ref} (input hidden): ")
        else:
            value = stdin.readline().rstrip("\r\n")
        store_secret(name, value)
    except SecretError as exc:
        return _error(stderr, exc)
    except EOFError:
        return _error(stderr, SecretError("no value given: nothing was stored"))
    stdout.write(f"stored {ref} in the OS keyring; in the config write: token: {ref}\n")
    return EXIT_OK
