"""``--sandbox``: the build backend and the probes run under bubblewrap, without network and read-only.

The sample ``hostile/sandbox_escape`` tries to get out at build time (``setup.py`` writes to ``$HOME``
and connects to 1.1.1.1, and fails the build if either works) and at import time (writes into its
installed package, connects to 1.1.1.1, then raises saying how both attempts ended). Tests that need a
working bwrap skip with the reason when it is missing or cannot create namespaces (e.g. unprivileged
user namespaces disabled).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import copy_sample, tree_digest
from leftovers import entries, isolate, make_home, needs_proc, survivors
from mcheck.sandbox import Sandbox, unavailable_reason

needs_bwrap = pytest.mark.skipif(
    unavailable_reason() is not None, reason=f"--sandbox: {unavailable_reason()}"
)


def test_the_wrapped_command_has_no_network_and_writes_only_where_allowed(tmp_path):
    argv = Sandbox("/usr/bin/bwrap").wrap(
        ["python", "-I", "probe.py"], writable=[tmp_path, tmp_path]
    )
    assert argv == [
        "/usr/bin/bwrap",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/dev/shm",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--new-session",
        "--die-with-parent",
        "--bind",
        str(tmp_path.resolve()),
        str(tmp_path.resolve()),
        "--",
        "python",
        "-I",
        "probe.py",
    ]


def test_sandbox_without_bwrap_is_bad_input_with_one_line(tmp_path):
    project = copy_sample("hostile/sandbox_escape", tmp_path / "project")
    no_tools = tmp_path / "bin"
    no_tools.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "mcheck", "wheel", str(project), "--sandbox"],
        cwd=tmp_path,
        env={**os.environ, "PATH": str(no_tools)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "mcheck: error: --sandbox: bubblewrap (bwrap) is not installed; install it from your OS "
        "packages (e.g. apt-get install bubblewrap)\n"
    )


@needs_bwrap
@needs_proc
def test_sandboxed_code_cannot_write_outside_its_temp_dirs_reach_the_network_or_outlive_the_run(
    tmp_path, monkeypatch
):
    from mcheck.api import check_wheel

    project = copy_sample("hostile/sandbox_escape", tmp_path / "project")
    home, private_tmp = make_home(tmp_path / "home"), tmp_path / "tmp"
    private_tmp.mkdir()
    isolate(monkeypatch, home=home, private_tmp=private_tmp)
    tree_before, home_before = tree_digest(project), tree_digest(home)

    report = check_wheel(project, sandbox=True)

    # the build went through: setup.py could neither write to $HOME nor connect (else MC001 "escaped")
    assert [(f.code, f.path) for f in report.findings if f.severity.value == "error"] == [
        ("MC301", "hostile_sandbox_escape.hostile")
    ]
    (finding,) = [f for f in report.findings if f.code == "MC301"]
    assert (
        "write into site-packages refused (Read-only file system); "
        "connect to 1.1.1.1 refused (Network is unreachable)"
    ) in finding.message
    assert (report.modules.imported, report.modules.failed) == (2, 1)
    # the daemon left the probe's process group, but not the sandbox's PID namespace
    assert survivors("mcheck-hostile-daemon") == []
    assert tree_digest(project) == tree_before
    assert tree_digest(home) == home_before
    assert entries(private_tmp) == []
    assert survivors(str(private_tmp)) == []


@needs_bwrap
def test_a_sandboxed_run_finds_what_an_unsandboxed_run_finds(tmp_path):
    from conftest import run_check
    from mcheck.api import check_wheel

    project = copy_sample("hostile/import_sys_exit", tmp_path / "project")
    plain = run_check(project)
    sandboxed = check_wheel(project, sandbox=True)
    assert [(f.code, f.path, f.message) for f in sandboxed.findings] == [
        (f.code, f.path, f.message) for f in plain.findings
    ]
    assert sandboxed.modules == plain.modules


@needs_bwrap
@needs_proc
def test_sigterm_during_a_sandboxed_probe_takes_the_whole_sandbox_down(tmp_path):
    import signal

    from test_signals import assert_interrupted_cleanly, interrupt

    run, private_tmp, before, after = interrupt(
        tmp_path,
        "import_loop",
        "probe",
        "mcheck_import_probe.py",
        signal.SIGTERM,
        "--timeout",
        "120",
        "--sandbox",
    )
    assert_interrupted_cleanly(run, signal.SIGTERM, private_tmp)
    assert after == before


@needs_bwrap
def test_deploy_runs_the_start_target_in_the_sandbox_with_the_same_verdict(tmp_path):
    from mcheck.deploy import check_deploy

    broken = copy_sample("deploy_bot_dockerfile", tmp_path / "broken")
    fixed = copy_sample("deploy_bot_dockerfile_fixed", tmp_path / "fixed")
    findings = {(f.code, f.path, f.line) for f in check_deploy(broken, sandbox=True).findings}
    assert findings == {("MC502", "bot/main.py", 1), ("MC202", "bot/crypto.py", 1)}
    assert check_deploy(fixed, sandbox=True).findings == []


HELPER_SETUP = """import pathlib
pathlib.Path({sentinel!r}).write_text("ran outside the sandbox")
from setuptools import setup
setup(name="build-helper", version="1.0", py_modules=[])
"""


@needs_bwrap
def test_a_build_requirement_built_from_the_projects_own_files_is_refused_under_the_sandbox(
    tmp_path,
):
    """``helper @ file:...`` would be built by uv, outside the sandbox, running helper's setup.py:
    under --sandbox that is MC001 naming the requirement, and helper's code never runs."""
    from mcheck.api import check_wheel

    sentinel = tmp_path / "sentinel.txt"
    helper = tmp_path / "helper"
    helper.mkdir()
    (helper / "setup.py").write_text(HELPER_SETUP.format(sentinel=str(sentinel)))
    project = copy_sample("clean_setuptools_flat", tmp_path / "project")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace("requires = [", f'requires = ["build-helper @ {helper.as_uri()}", ', 1)
    )
    report = check_wheel(project, sandbox=True, cache=False)
    (failure,) = [f for f in report.findings if f.code == "MC001"]
    assert f"build requirement 'build-helper @ {helper.as_uri()}'" in failure.message
    assert "outside the sandbox" in failure.message
    assert not sentinel.exists()


@needs_bwrap
def test_the_projects_tests_get_the_same_verdicts_in_the_sandbox(tmp_path):
    from mcheck.api import check_wheel

    project = copy_sample("tests_template_dropped", tmp_path / "project")
    before = tree_digest(project)
    plain = check_wheel(project, tests=True)
    sandboxed = check_wheel(project, tests=True, sandbox=True)
    assert [(f.code, f.path, f.line) for f in sandboxed.findings] == [
        (f.code, f.path, f.line) for f in plain.findings
    ]
    outcomes = [(c.nodeid, c.wheel, c.checkout, c.code, c.detail) for c in sandboxed.tests]
    assert outcomes == [(c.nodeid, c.wheel, c.checkout, c.code, c.detail) for c in plain.tests]
    assert tree_digest(project) == before
