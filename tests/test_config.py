"""Settings: [tool.mcheck] / mcheck.toml, CLI precedence, and exit-2 errors that suggest the right name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mcheck.errors import UsageError
from mcheck.findings import Finding, Severity
from mcheck.settings import SETTING_NAMES, load_file_settings, resolve_settings

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)


def test_cli_values_beat_the_file_and_none_means_not_given():
    settings = resolve_settings(
        {"timeout": 10, "ignore": ["MC203"]}, {"timeout": 5.0, "ignore": None}
    )
    assert settings.timeout == 5.0
    assert settings.ignore == ("MC203",)


def test_unknown_key_is_bad_input_with_the_nearest_name():
    with pytest.raises(UsageError, match=r"unknown setting 'selct'.*did you mean 'select'"):
        resolve_settings({"selct": ["MC1"]}, {})


def test_unknown_code_is_bad_input_with_the_nearest_code():
    with pytest.raises(UsageError, match=r"unknown code 'MC999'"):
        resolve_settings({}, {"ignore": ["MC999"]})


def test_select_ignore_and_per_path_ignores_filter_findings():
    settings = resolve_settings(
        {
            "select": ["MC1", "MC2"],
            "ignore": ["MC203"],
            "per-path-ignores": {"pkg/_vendor/*": ["MC202"]},
        },
        {},
    )
    assert settings.keeps(Finding("MC101", "pkg/a.py", "m"))
    assert not settings.keeps(Finding("MC301", "pkg.a", "m"))  # not selected
    assert not settings.keeps(Finding("MC203", "pkg/a.py", "m"))  # ignored
    assert not settings.keeps(Finding("MC202", "pkg/_vendor/x.py", "m", line=3))
    assert settings.keeps(Finding("MC202", "pkg/x.py", "m", line=3))


def test_fail_on_must_be_error_or_warning():
    assert resolve_settings({"fail-on": "warning"}, {}).fail_on is Severity.WARNING
    with pytest.raises(UsageError, match="fail-on"):
        resolve_settings({"fail-on": "info"}, {})


def test_mcheck_toml_is_preferred_over_pyproject(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.mcheck]\ntimeout = 7\n")
    assert load_file_settings(tmp_path)[0] == {"timeout": 7}
    (tmp_path / "mcheck.toml").write_text("timeout = 9\n")
    values, origin = load_file_settings(tmp_path)
    assert values == {"timeout": 9} and origin.endswith("mcheck.toml")


def test_malformed_config_names_line_and_column(tmp_path: Path):
    (tmp_path / "mcheck.toml").write_text("timeout = \n")
    with pytest.raises(UsageError, match=r"malformed TOML.*line 1"):
        load_file_settings(tmp_path)


def test_the_readme_configuration_example_is_valid_and_shows_every_setting() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    table = tomllib.loads(block)["tool"]["mcheck"]
    resolve_settings(table, {}, "README.md")  # raises on an unknown key or a bad value
    assert set(table) == set(SETTING_NAMES)
