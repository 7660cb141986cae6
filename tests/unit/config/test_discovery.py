"""Config discovery: --config, then $COCKPIT_CONFIG, then $XDG_CONFIG_HOME/cockpit/config.yaml."""

from __future__ import annotations

from pathlib import Path

from cockpit.config.discovery import default_config_path, find_config, not_found_message


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("environment: x\n")
    return path


def test_cli_path_wins_over_everything(tmp_path: Path) -> None:
    cli = touch(tmp_path / "cli.yaml")
    env = {"COCKPIT_CONFIG": str(touch(tmp_path / "env.yaml")), "XDG_CONFIG_HOME": str(tmp_path)}
    touch(tmp_path / "cockpit" / "config.yaml")
    assert find_config(str(cli), env) == (cli, [cli])


def test_env_var_wins_over_xdg(tmp_path: Path) -> None:
    from_env = touch(tmp_path / "env.yaml")
    touch(tmp_path / "cockpit" / "config.yaml")
    env = {"COCKPIT_CONFIG": str(from_env), "XDG_CONFIG_HOME": str(tmp_path)}
    assert find_config(None, env) == (from_env, [from_env])


def test_xdg_config_home(tmp_path: Path) -> None:
    xdg = touch(tmp_path / "cockpit" / "config.yaml")
    assert find_config(None, {"XDG_CONFIG_HOME": str(tmp_path)}) == (xdg, [xdg])


def test_default_is_dot_config_under_home(tmp_path: Path) -> None:
    expected = tmp_path / ".config" / "cockpit" / "config.yaml"
    assert default_config_path({"HOME": str(tmp_path)}) == expected
    # A relative XDG_CONFIG_HOME is invalid per the XDG spec and ignored.
    assert default_config_path({"HOME": str(tmp_path), "XDG_CONFIG_HOME": "rel"}) == expected


def test_an_explicit_missing_file_does_not_fall_back(tmp_path: Path) -> None:
    touch(tmp_path / "cockpit" / "config.yaml")  # exists, but was not asked for
    missing = tmp_path / "typo.yaml"
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert find_config(str(missing), env) == (None, [missing])
    assert find_config(None, {**env, "COCKPIT_CONFIG": str(missing)}) == (None, [missing])


def test_nothing_found_reports_where_it_looked(tmp_path: Path) -> None:
    path, looked = find_config(None, {"HOME": str(tmp_path)})
    assert path is None
    assert looked == [tmp_path / ".config" / "cockpit" / "config.yaml"]
    assert not_found_message(looked) == f"no config found (looked in: {looked[0]})"


def test_tilde_uses_the_given_home(tmp_path: Path) -> None:
    config = touch(tmp_path / "c.yaml")
    env = {"HOME": str(tmp_path), "COCKPIT_CONFIG": "~/c.yaml"}
    assert find_config(None, env) == (config, [config])


def test_an_empty_env_var_is_unset(tmp_path: Path) -> None:
    xdg = touch(tmp_path / "cockpit" / "config.yaml")
    assert find_config(None, {"COCKPIT_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path)})[0] == xdg
