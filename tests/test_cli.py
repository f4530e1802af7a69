"""The ``mcheck wheel`` command line: settings precedence, exit-2 errors, several outputs in one run, -q/-v, colour.

Tests about how the CLI routes a report (formats, files, verbosity) reuse the session's checked samples
through a stand-in for :func:`mcheck.api.check_wheel`, so they build nothing. Tests about settings and
colour run the real pipeline on ``build_fails``, whose build fails within a second.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mcheck.cli import app

runner = CliRunner()


def invoke(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


pytestmark = pytest.mark.usefixtures("no_github_summary")


def with_tool_mcheck(project: Path, table: str) -> Path:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(f"\n[tool.mcheck]\n{table}\n")
    return project


# --- settings ---------------------------------------------------------------------------------------


def test_command_line_beats_tool_mcheck(sample_copy: Callable[[str], Path]) -> None:
    project = with_tool_mcheck(sample_copy("build_fails"), 'ignore = ["MC001"]')

    from_file = invoke("wheel", project)
    assert from_file.exit_code == 0, from_file.output
    assert "no problems found" in from_file.stdout

    # --ignore replaces the file's list rather than adding to it, so MC001 is reported again.
    from_cli = invoke("wheel", project, "--ignore", "MC002")
    assert from_cli.exit_code == 1, from_cli.output
    assert "  error   MC001  setup.py:2: building the sdist failed" in from_cli.stdout


def test_a_bad_file_value_is_reported_even_when_the_command_line_overrides_it(
    sample_copy: Callable[[str], Path],
) -> None:
    # Each source is validated on its own: a broken [tool.mcheck] would break every other run.
    project = with_tool_mcheck(sample_copy("build_fails"), 'fail-on = "bogus"')
    result = invoke("wheel", project, "--fail-on", "error")
    assert result.exit_code == 2
    assert result.stderr == (
        f"mcheck: error: {project / 'pyproject.toml'} [tool.mcheck]: "
        "fail-on must be 'error' or 'warning', not 'bogus'\n"
    )


def test_fail_on_from_the_command_line_beats_the_file(sample_copy: Callable[[str], Path]) -> None:
    # missing_package_data has one warning (MC102) and no error.
    project = with_tool_mcheck(sample_copy("missing_package_data"), 'fail-on = "warning"')
    from_file = invoke("wheel", project)
    assert from_file.exit_code == 1, from_file.output
    from_cli = invoke("wheel", project, "--fail-on", "error")
    assert from_cli.exit_code == 0, from_cli.output
    assert "MC102" in from_cli.stdout


def test_unknown_setting_in_pyproject_is_exit_2_naming_the_file_and_the_nearest_key(
    sample_copy: Callable[[str], Path],
) -> None:
    project = with_tool_mcheck(sample_copy("build_fails"), 'selct = ["MC1"]')
    result = invoke("wheel", project)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mcheck: error: {project / 'pyproject.toml'} [tool.mcheck]: unknown setting 'selct' (did you mean 'select'?)\n"
    )


def test_unknown_code_is_exit_2_with_the_nearest_code(sample_copy: Callable[[str], Path]) -> None:
    result = invoke("wheel", sample_copy("build_fails"), "--ignore", "MC1O1")  # letter O, not zero
    assert result.exit_code == 2
    assert result.stdout == ""
    # Blamed on the command line, not on the project's [tool.mcheck] that the value never came from.
    assert (
        result.stderr
        == "mcheck: error: command line: unknown code 'MC1O1' (did you mean 'MC101'?)\n"
    )


def test_unknown_format_is_exit_2_with_the_nearest_format() -> None:
    result = invoke("wheel", ".", "--format", "sarf")
    assert result.exit_code == 2
    assert result.stderr == (
        "mcheck: error: unknown format 'sarf' (did you mean 'sarif'?); choose from github, json, junit, sarif, text\n"
    )


def test_more_outputs_than_formats_is_exit_2() -> None:
    result = invoke("wheel", ".", "--format", "json", "--output", "a.json", "--output", "b.json")
    assert result.exit_code == 2
    assert result.stderr == "mcheck: error: more --output files than --format options\n"


# --- several outputs in one run ----------------------------------------------------------------------


def _assert_sarif_and_junit(sarif_file: Path, junit_file: Path) -> None:
    sarif = json.loads(sarif_file.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert [
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])
        for r in sarif["runs"][0]["results"]
    ] == [("MC301", "pkg.boom")]
    suite = ET.parse(junit_file).getroot().find("testsuite")
    assert suite is not None
    modules = {
        c.get("name"): c for c in suite.iter("testcase") if c.get("classname") == "mcheck.import"
    }
    assert modules["pkg.boom"].find("failure") is not None
    assert modules["pkg"].find("failure") is None


@pytest.mark.usefixtures("sample_reports")
def test_one_run_writes_text_to_stdout_and_sarif_and_junit_to_files(tmp_path: Path) -> None:
    sarif_file, junit_file = tmp_path / "mcheck.sarif", tmp_path / "junit.xml"
    result = invoke(
        "wheel",
        "import_raises",
        "-f",
        "sarif",
        "-o",
        sarif_file,
        "-f",
        "junit",
        "-o",
        junit_file,
        "-f",
        "text",
    )
    assert result.exit_code == 1
    assert re.match(r"== \S+/import_raises ==\nprobe:\n  error   MC301  ", result.stdout)
    assert result.stdout.endswith(
        "mcheck: 1 error, 0 warnings, 0 infos in 1 target (imported 1 module, 1 failed)\n"
    )
    _assert_sarif_and_junit(sarif_file, junit_file)


@pytest.mark.usefixtures("sample_reports")
def test_output_dash_is_stdout_so_pairs_read_in_order(tmp_path: Path) -> None:
    sarif_file, junit_file = tmp_path / "mcheck.sarif", tmp_path / "junit.xml"
    result = invoke(
        "wheel",
        "import_raises",
        "-f",
        "text",
        "-o",
        "-",
        "-f",
        "sarif",
        "-o",
        sarif_file,
        "-f",
        "junit",
        "-o",
        junit_file,
    )
    assert result.exit_code == 1
    assert re.match(r"== \S+/import_raises ==\n", result.stdout)
    assert not Path("-").exists()
    _assert_sarif_and_junit(sarif_file, junit_file)


@pytest.mark.usefixtures("sample_reports")
def test_github_format_appends_the_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = invoke("wheel", "import_raises", "-f", "github")
    assert result.stdout.startswith(
        "::error file=pkg/boom.py,title=MC301::pkg.boom: importing pkg.boom raised RuntimeError"
    )
    lines = summary.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["earlier step", "## mcheck", ""]
    assert [
        line
        for line in lines
        if re.fullmatch(r"\| \S+/import_raises \| failed \| 1 \| 0 \| 0 \| 1 \| 1 \|", line)
    ]


# --- verbosity ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("sample_reports")
def test_quiet_shows_only_targets_with_errors_and_the_summary() -> None:
    result = invoke("wheel", "import_raises", "optional_extra", "-q")
    assert result.exit_code == 1
    assert "/import_raises ==" in result.stdout
    assert "optional_extra" not in result.stdout and "MC304" not in result.stdout
    assert result.stdout.endswith(
        "mcheck: 1 error, 0 warnings, 2 infos in 2 targets "
        "(imported 2 modules, 1 failed, 2 skipped)\n"
    )


@pytest.mark.usefixtures("sample_reports")
def test_default_and_verbose_show_infos_and_verbose_adds_timings() -> None:
    default = invoke("wheel", "import_raises", "optional_extra")
    verbose = invoke("wheel", "import_raises", "optional_extra", "-v")
    for result in (default, verbose):
        assert result.stdout.count("  info    MC304  ") == 2
    assert "timings:" not in default.stdout
    assert verbose.stdout.count("timings:") == 2


def test_progress_goes_to_stderr_only_with_verbose_when_not_a_terminal(
    sample_copy: Callable[[str], Path],
) -> None:
    project = sample_copy("build_fails")
    assert invoke("wheel", project).stderr == ""
    assert invoke("wheel", project, "-v").stderr == "mcheck: discover\nmcheck: build\n"


# --- colour -------------------------------------------------------------------------------------------


def _run_on_a_terminal(project: Path, env: dict[str, str]) -> str:
    """Run ``mcheck wheel PROJECT`` with stdout on a pseudo-terminal and return what it printed there."""
    pty = pytest.importorskip("pty", reason="pseudo-terminals are POSIX-only")
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "mcheck", "wheel", str(project)],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=120,
            check=False,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # Linux raises EIO once the terminal has no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX-only")
def test_colour_on_a_terminal_unless_no_color(sample_copy: Callable[[str], Path]) -> None:
    project = sample_copy("build_fails")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    coloured = _run_on_a_terminal(project, env)
    plain = _run_on_a_terminal(project, {**env, "NO_COLOR": "1"})
    assert "MC001" in coloured and "MC001" in plain
    assert "\x1b[" in coloured
    assert "\x1b[" not in plain


@pytest.mark.parametrize("command", ["wheel", "deploy"])
def test_a_bug_in_mcheck_is_exit_3_with_one_line_for_both_commands(command, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    target = "mcheck.api.run_pipeline" if command == "wheel" else "mcheck.deploy.check_deploy"
    monkeypatch.setattr(target, explode)
    (tmp_path / "setup.py").write_text("", encoding="utf-8")
    result = invoke(command, tmp_path)
    assert result.exit_code == 3
    assert "internal error: RuntimeError: boom (re-run with -v for the traceback)" in result.output
