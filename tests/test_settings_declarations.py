"""One declaration per setting (mcheck.settings.SETTINGS): the Settings type, the file validation, the
CLI options of each command and the README's table all agree with it."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import typer

from mcheck.cli import app
from mcheck.errors import UsageError
from mcheck.settings import SETTINGS, Settings, render_settings_table, resolve_settings

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

README = Path(__file__).resolve().parent.parent / "README.md"


def _options(command: str) -> dict[str, str]:
    """CLI option -> its help, of one command."""
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {"/".join(p.opts + p.secondary_opts): p.help or "" for p in click_command.params}


def test_the_settings_type_has_exactly_the_declared_settings_and_defaults():
    declared = [(s.attr, s.default) for s in SETTINGS]
    typed = [(f.name, getattr(Settings(), f.name)) for f in fields(Settings) if f.name != "sources"]
    assert typed == declared


@pytest.mark.parametrize("command", ["wheel", "deploy"])
def test_each_command_offers_the_flags_declared_for_it_with_the_declared_help(command):
    options = _options(command)
    for setting in SETTINGS:
        if setting.flag is None:
            continue
        if command in setting.commands:
            assert options.get(setting.flag) == setting.help, setting.name
        else:
            assert setting.flag not in options, f"{setting.name} is not declared for {command}"


def test_the_readme_table_is_generated_from_the_declarations():
    assert render_settings_table() in README.read_text(encoding="utf-8")


def test_per_path_ignores_from_the_command_line_and_from_a_file_mean_the_same():
    from_file = resolve_settings({"per-path-ignores": {"pkg/_vendor/*": ["MC202", "mc204"]}}, {})
    from_cli = resolve_settings({}, {"per_path_ignores": ["pkg/_vendor/*:MC202,mc204"]})
    assert (
        from_file.per_path_ignores
        == from_cli.per_path_ignores
        == {"pkg/_vendor/*": ("MC202", "MC204")}
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pkg/*", "command line: per-path-ignores takes GLOB:CODE[,CODE...], not 'pkg/*'"),
        ("pkg/*:MC999", "command line: unknown code 'MC999'"),
    ],
)
def test_a_bad_per_path_ignore_is_bad_input_naming_it(value, message):
    with pytest.raises(UsageError, match=f"^{re.escape(message)}"):
        resolve_settings({}, {"per_path_ignores": [value]})
