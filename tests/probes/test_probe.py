"""The import probe script and its host-side runner, against a real venv."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import uv

from conftest import REPO_ROOT
from mcheck.probes import imports as probe_module
from mcheck.probes.imports import PROBE_SCRIPT, ProbeError, parse_probe_report, run_import_probe
from mcheck.probes.protocol import ProbeResult
from mcheck.wheel.artifacts import module_name_for

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork"), reason="exercises the POSIX fork isolation"
)

MODULES = {
    "okmod.py": "__version__ = '1.2'\nprint('hello from okmod')\n",
    "okpkg/__init__.py": "__version__ = '2.0'\n",
    "okpkg/sub.py": "__version__ = 'not recorded for submodules'\n",
    "raises_missing.py": "import os\n\nimport missing_thing_xyz  # line 3\n",
    "raises_chained.py": textwrap.dedent("""\
        try:
            import missing_dep_abc
        except ImportError as exc:
            raise RuntimeError("needs missing_dep_abc") from exc
        """),
    "raises_custom.py": "class Boom(Exception):\n    pass\n\nraise Boom('custom failure')\n",
    "exits_3.py": "import sys\nprint('bye')\nsys.exit(3)\n",
    "exits_message.py": "import sys\nsys.exit('fatal: no config')\n",
    "os_exit_0.py": "import os\nos._exit(0)\n",
    "segfaults.py": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    "loops_forever.py": "while True:\n    pass\n",
    "prints_5mb.py": "import sys\nfor _ in range(5000):\n    sys.stdout.write('x' * 1023 + '\\n')\nprint('END')\n",
    "reads_stdin.py": "import sys\nDATA = sys.stdin.read()\nassert DATA == ''\n",
    "spawns_child.py": textwrap.dedent("""\
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        with open("grandchild.pid", "w") as fh:
            fh.write(str(child.pid))
        """),
    "writes_cwd.py": "import os\nwith open('probe_was_here.txt', 'w') as fh:\n    fh.write(os.getcwd())\n",
    "forks_itself.py": "import os\nif os.fork() == 0:\n    pass  # the grandchild returns from the import too\n",
    # The result pipe closed, or its descriptor reused for something else: the file fallback reports.
    "closes_descriptors.py": "import os\nos.closerange(3, 4096)\n",
    "reuses_descriptors.py": "import os\nos.closerange(3, 4096)\nPIPES = [os.pipe() for _ in range(8)]\n",
    # A result larger than a pipe's buffer: drained while the child writes it, never a deadlock.
    "raises_huge.py": "raise RuntimeError('x' * 300_000)\n",
}
# Only importable if the test's cwd or PYTHONPATH leaked onto the probe's sys.path:
LEAK_MODULES = ("shadow_in_cwd", "from_pythonpath")
DIST_INFO = {
    "fake_dist-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: Fake-Dist\nVersion: 1.0\n"
    "Requires-Dist: requests>=2\nRequires-Dist: click; extra == 'cli'\n",
    "fake_dist-1.0.dist-info/RECORD": "fake_pkg/__init__.py,,\nfake_single.py,,\n../../bin/fake,,\n"
    "fake_dist-1.0.dist-info/METADATA,,\n",
    "fake_pkg/__init__.py": "",
    "fake_single.py": "",
}


def make_venv(root: Path) -> tuple[Path, Path]:
    """A fresh venv of this interpreter; returns (python, site-packages)."""
    venv = root / "venv"
    subprocess.run(
        [uv.find_uv_bin(), "venv", "--quiet", str(venv), "--python", sys.executable],
        check=True,
        capture_output=True,
    )
    site = next(venv.glob("lib/python*/site-packages"))
    return venv / "bin" / "python", site


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProbeResult, Path, Path]:
    """One probe run over every scenario (timeout 2 s, 2 jobs): (result, workdir, test cwd)."""
    root = tmp_path_factory.mktemp("probe")
    python, site = make_venv(root)
    write_files(site, MODULES | DIST_INFO)
    test_cwd, pythonpath = root / "test-cwd", root / "pythonpath"
    write_files(test_cwd, {"shadow_in_cwd.py": ""})
    write_files(pythonpath, {"from_pythonpath.py": ""})
    names = [module_name_for(path) for path in MODULES]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(test_cwd)
        mp.setenv("PYTHONPATH", str(pythonpath))
        result = run_import_probe(
            python, [*names, *LEAK_MODULES], timeout=2.0, jobs=2, workdir=root / "work"
        )
    return result, root / "work", test_cwd


def test_every_module_gets_a_result(probed: tuple[ProbeResult, Path, Path]) -> None:
    result, _, _ = probed
    statuses = {name: r.status for name, r in result.modules.items()}
    assert statuses == {
        "okmod": "ok",
        "okpkg": "ok",
        "okpkg.sub": "ok",
        "raises_missing": "error",
        "raises_chained": "error",
        "raises_custom": "error",
        "exits_3": "exited",
        "exits_message": "exited",
        "os_exit_0": "exited",
        "segfaults": "crashed",
        "loops_forever": "timeout",
        "prints_5mb": "ok",
        "reads_stdin": "ok",
        "spawns_child": "ok",
        "writes_cwd": "ok",
        "forks_itself": "ok",
        "closes_descriptors": "ok",
        "reuses_descriptors": "ok",
        "raises_huge": "error",
        "shadow_in_cwd": "error",
        "from_pythonpath": "error",
    }


def test_ok_modules_report_file_version_and_output(probed: tuple[ProbeResult, Path, Path]) -> None:
    modules = probed[0].modules
    assert modules["okmod"].version == "1.2"
    assert modules["okmod"].file is not None and modules["okmod"].file.endswith(
        "site-packages/okmod.py"
    )
    assert modules["okmod"].output_tail == "hello from okmod\n"
    assert modules["okpkg"].version == "2.0"
    assert modules["okpkg.sub"].version is None
    assert modules["reads_stdin"].seconds < 1.5


def test_exception_details(probed: tuple[ProbeResult, Path, Path]) -> None:
    modules = probed[0].modules
    error = modules["raises_missing"].error
    assert error is not None
    assert (error.type, error.message, error.missing_name) == (
        "ModuleNotFoundError",
        "No module named 'missing_thing_xyz'",
        "missing_thing_xyz",
    )
    assert [Path(f.file).name for f in error.frames] == [
        "raises_missing.py"
    ]  # probe/importlib frames dropped
    assert (error.frames[-1].line, error.frames[-1].source) == (
        3,
        "import missing_thing_xyz  # line 3",
    )

    chained = modules["raises_chained"].error
    assert chained is not None and chained.type == "RuntimeError"
    assert [(c.type, c.missing_name) for c in chained.chain] == [
        ("ModuleNotFoundError", "missing_dep_abc")
    ]

    custom = modules["raises_custom"].error
    assert custom is not None and (custom.type, custom.message) == (
        "raises_custom.Boom",
        "custom failure",
    )


def test_exits_crashes_and_timeouts(probed: tuple[ProbeResult, Path, Path]) -> None:
    modules = probed[0].modules
    assert (modules["exits_3"].exit_code, modules["exits_3"].output_tail) == (3, "bye\n")
    assert modules["exits_message"].exit_code == 1
    assert modules["exits_message"].output_tail.endswith("fatal: no config\n")
    assert (modules["os_exit_0"].exit_code, modules["os_exit_0"].signal) == (0, None)
    assert (modules["segfaults"].signal, modules["segfaults"].exit_code) == (signal.SIGSEGV, None)
    assert 2.0 <= modules["loops_forever"].seconds < 5.0


def test_huge_output_is_bounded(probed: tuple[ProbeResult, Path, Path]) -> None:
    tail = probed[0].modules["prints_5mb"].output_tail
    assert len(tail) <= 4096
    assert tail.endswith("x\nEND\n")


def test_grandchildren_are_killed(probed: tuple[ProbeResult, Path, Path]) -> None:
    _, workdir, _ = probed
    pid = int(next(workdir.glob("cwd-*/grandchild.pid")).read_text())
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a zombie waiting for a reaper is dead too
        assert stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    else:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_runs_isolated_from_checkout_and_environment(
    probed: tuple[ProbeResult, Path, Path],
) -> None:
    result, workdir, test_cwd = probed
    written = list(workdir.glob("cwd-*/probe_was_here.txt"))
    assert len(written) == 1
    assert written[0].read_text() == str(written[0].parent)
    assert not (test_cwd / "probe_was_here.txt").exists()
    for name in LEAK_MODULES:
        error = result.modules[name].error
        assert error is not None and error.type == "ModuleNotFoundError"
    checkout = REPO_ROOT
    for entry in result.sys_path:
        assert not Path(entry).resolve().is_relative_to(checkout)
        assert Path(entry).resolve() != test_cwd.resolve()
    assert str(Path.cwd()) not in result.sys_path


def test_environment_facts(probed: tuple[ProbeResult, Path, Path]) -> None:
    result = probed[0]
    assert result.platform == sys.platform
    assert result.python_version == ".".join(map(str, sys.version_info[:3]))
    assert {"os", "winreg", "json"} <= result.stdlib_module_names
    fake = [d for d in result.distributions if d.name == "Fake-Dist"]
    assert len(fake) == 1
    assert fake[0].version == "1.0"
    assert fake[0].requires == ("requests>=2", "click; extra == 'cli'")
    assert fake[0].import_names == ("fake_pkg", "fake_single")


def run_script(python: Path, workdir: Path, request: dict[str, object]) -> dict[str, object]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "in.json").write_text(json.dumps(request))
    subprocess.run(
        [str(python), "-I", str(PROBE_SCRIPT), str(workdir / "in.json"), str(workdir / "out.json")],
        cwd=workdir,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    return json.loads((workdir / "out.json").read_text())


def test_subprocess_fallback_without_fork(tmp_path: Path) -> None:
    """The Windows code path (one ``--one`` subprocess per module), exercised on POSIX."""
    python, site = make_venv(tmp_path)
    names = ["okmod", "exits_3", "segfaults", "loops_forever", "raises_missing", "prints_5mb"]
    write_files(site, {f"{name}.py": MODULES[f"{name}.py"] for name in names})
    report = run_script(
        python,
        tmp_path / "work",
        {"modules": names, "timeout": 1.0, "jobs": 3, "isolation": "subprocess"},
    )
    modules = parse_probe_report(report).modules
    assert {n: m.status for n, m in modules.items()} == {
        "okmod": "ok",
        "exits_3": "exited",
        "segfaults": "crashed",
        "loops_forever": "timeout",
        "raises_missing": "error",
        "prints_5mb": "ok",
    }
    assert (modules["okmod"].version, modules["okmod"].output_tail) == ("1.2", "hello from okmod\n")
    assert (modules["exits_3"].exit_code, modules["segfaults"].signal) == (3, signal.SIGSEGV)
    assert (
        modules["prints_5mb"].output_tail.endswith("END\n")
        and len(modules["prints_5mb"].output_tail) <= 4096
    )


@pytest.mark.parametrize(
    "script", [PROBE_SCRIPT, PROBE_SCRIPT.with_name("_mcheck_probe_support.py")]
)
def test_script_is_stdlib_only_and_python38_syntax(script: Path) -> None:
    source = script.read_text("utf-8")
    tree = ast.parse(source, feature_version=(3, 8))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    # The support module is copied beside the script; everything else is the standard library.
    assert imported - {"__future__", "_mcheck_probe_support"} <= sys.stdlib_module_names
    for node in ast.walk(tree):  # str.removeprefix/removesuffix and dict | dict are 3.9+
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("removeprefix", "removesuffix")


def test_probe_that_writes_no_report_raises(tmp_path: Path) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'probe exploded' >&2\nexit 1\n")
    fake_python.chmod(0o755)
    with pytest.raises(ProbeError, match=r"exited with code 1 and wrote no answer\nprobe exploded"):
        run_import_probe(fake_python, ["x"], timeout=1.0, jobs=1, workdir=tmp_path / "work")


def test_probe_with_invalid_report_raises(tmp_path: Path) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text(
        '#!/bin/sh\necho "{not json" > "$4"\n'
    )  # $1=-I $2=script $3=input $4=output
    fake_python.chmod(0o755)
    with pytest.raises(ProbeError, match="unreadable answer"):
        run_import_probe(fake_python, ["x"], timeout=1.0, jobs=1, workdir=tmp_path / "work")


def test_wall_clock_guard_stops_a_hung_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text('#!/bin/sh\necho $$ > "$(dirname "$3")/hung.pid"\nexec sleep 60\n')
    fake_python.chmod(0o755)
    monkeypatch.setattr(probe_module, "GUARD_SLACK", 0.5)
    with pytest.raises(ProbeError, match="did not finish within 1 s"):
        run_import_probe(fake_python, ["x"], timeout=0.2, jobs=1, workdir=tmp_path / "work")
    pid = int((tmp_path / "work" / "hung.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_parse_rejects_an_unknown_module_status() -> None:
    report = {
        "protocol": 1,
        "python_version": "3.11.7",
        "platform": "linux",
        "stdlib_module_names": [],
        "sys_path": [],
        "distributions": [],
        "modules": {"m": {"name": "m", "status": "weird", "seconds": 0}},
    }
    with pytest.raises(ProbeError, match="unknown module status"):
        parse_probe_report(report)


# Daemonizes the classic way (fork, setsid, fork): the daemon leads a session and process group of its own,
# out of reach of the probe's process-group kill. The import returns once the daemon wrote its pid to cwd.
DAEMON_MODULE = textwrap.dedent("""\
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open("daemon.pid.tmp", "w") as fh:
                fh.write(str(os.getpid()))
            os.replace("daemon.pid.tmp", "daemon.pid")
            time.sleep(600)
        os._exit(0)
    deadline = time.monotonic() + 10
    while not os.path.exists("daemon.pid") and time.monotonic() < deadline:
        time.sleep(0.01)
    """)
needs_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="the probe reaps escaped daemons as a Linux child subreaper",
)


def assert_dead(pid: int) -> None:
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a zombie waiting for init to reap it is dead too
        assert stat.read_text().rsplit(")", 1)[1].split()[0] == "Z", f"pid {pid} is still alive"


@needs_linux
def test_a_daemon_in_a_new_session_dies_with_the_probe_even_below_a_fork_server(
    tmp_path: Path,
) -> None:
    python, site = make_venv(tmp_path)
    # four modules below "served": a fork server imports the package once and forks the daemon's importer
    write_files(
        site,
        {
            "served/__init__.py": "",
            "served/a.py": "",
            "served/b.py": "",
            "served/daemonizes.py": DAEMON_MODULE,
        },
    )
    names = ["served", "served.a", "served.b", "served.daemonizes"]
    report = run_script(python, tmp_path / "work", {"modules": names, "timeout": 10.0, "jobs": 2})
    assert {n: m.status for n, m in parse_probe_report(report).modules.items()} == dict.fromkeys(
        names, "ok"
    )
    assert_dead(int((tmp_path / "work" / "daemon.pid").read_text()))


@needs_linux
def test_sigterm_kills_a_daemon_in_a_new_session_too(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path)
    write_files(
        site, {"daemonizes.py": DAEMON_MODULE, "loops_forever.py": MODULES["loops_forever.py"]}
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "in.json").write_text(
        json.dumps({"modules": ["daemonizes", "loops_forever"], "timeout": 60.0, "jobs": 2})
    )
    # started like the host starts it: its own session, SIGTERM to its process group when the guard fires
    proc = subprocess.Popen(
        [str(python), "-I", str(PROBE_SCRIPT), str(workdir / "in.json"), str(workdir / "out.json")],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (workdir / "daemon.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int((workdir / "daemon.pid").read_text())
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_dead(pid)


@needs_linux
def test_the_app_probe_kills_a_daemon_started_by_an_entry_points_module(tmp_path: Path) -> None:
    from mcheck.probes.apps import run_app_probe

    python, site = make_venv(tmp_path)
    write_files(site, {"daemonizes.py": DAEMON_MODULE + "\n\ndef main():\n    pass\n"})
    result = run_app_probe(
        python,
        {"console_scripts": {"daemon": "daemonizes:main"}},
        [],
        timeout=10.0,
        workdir=tmp_path / "work",
    )
    assert [(e.name, e.status) for e in result.entry_points] == [("daemon", "ok")]
    [pid_file] = (tmp_path / "work").glob("cwd-*/daemon.pid")  # the probe's fresh empty cwd
    assert_dead(int(pid_file.read_text()))


def test_progress_counts_modules_with_a_result_up_to_all_of_them(tmp_path: Path) -> None:
    python, site = make_venv(tmp_path)
    # Slow enough that the poll between the probe's start and its end sees intermediate counts.
    write_files(site, {f"slow_{i}.py": "import time\ntime.sleep(0.3)\n" for i in range(6)})
    seen: list[tuple[int, int]] = []
    run_import_probe(
        python,
        [f"slow_{i}" for i in range(6)],
        timeout=5.0,
        jobs=1,
        workdir=tmp_path / "work",
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (6, 6)
    assert {total for _, total in seen} == {6}
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})  # strictly increasing
    assert len(seen) >= 3


def test_cli_progress_in_logs_is_one_line_per_stage(capsys: pytest.CaptureFixture[str]) -> None:
    from mcheck.cli import _progress_printer

    show = _progress_printer(verbose=1)  # stderr is not a terminal under pytest
    assert show is not None
    for message in ("build", "install", "probe", "probe 0/3", "probe 2/3", "probe 3/3", "analyse"):
        show(message)
    assert (
        capsys.readouterr().err
        == "mcheck: build\nmcheck: install\nmcheck: probe\nmcheck: analyse\n"
    )
    assert _progress_printer(verbose=0) is None


CYCLE_MODULES = {
    "cyc/__init__.py": "",
    "cyc/models.py": "class Field:\n    pass\n\nfrom cyc.base import Base  # noqa: E402\n",
    "cyc/base.py": "from cyc.models import Field\n\nclass Base:\n    field = Field\n",
    "cyc/a.py": "from cyc.b import B\n\nclass A:\n    pass\n",
    "cyc/b.py": "from cyc.a import A\n\nclass B:\n    pass\n",
    "cyc/raises.py": "raise RuntimeError('not a cycle')\n",
    # Fails alone on the cycle, and after the package for a reason of its own (a missing driver).
    "cyc/driver.py": "from cyc.base import Base\nimport missing_driver_xyz\n",
}


def test_a_module_that_fails_only_on_a_circular_import_is_retried_after_its_package(
    tmp_path: Path,
) -> None:
    """The retry clears exactly the order-dependent module, names the module that loads it, and
    leaves the cycle that fails in every order (and a plain failure) as they were."""
    python, site = make_venv(tmp_path)
    write_files(site, CYCLE_MODULES)
    names = [module_name_for(path) for path in CYCLE_MODULES]
    result = run_import_probe(python, names, timeout=5.0, jobs=2, workdir=tmp_path / "work")
    orders = {name: m.import_order for name, m in result.modules.items()}
    assert {name for name, order in orders.items() if order is not None} == {"cyc.base"}
    assert orders["cyc.base"].package == "cyc"
    assert orders["cyc.base"].loaded_by == "cyc.models"
    # The first pass's failure is kept: the classifier words it from the original exception.
    assert result.modules["cyc.base"].status == "error"
    assert "partially initialized module 'cyc.base'" in result.modules["cyc.base"].error.message
    driver = result.modules["cyc.driver"]
    assert driver.import_order is None
    assert driver.error.message == "No module named 'missing_driver_xyz'"
    assert {n for n in ("cyc.a", "cyc.b", "cyc.raises") if result.modules[n].status == "error"} == {
        "cyc.a",
        "cyc.b",
        "cyc.raises",
    }


def test_first_modules_are_imported_once_before_the_children_and_failures_are_skipped(
    tmp_path: Path,
) -> None:
    python, site = make_venv(tmp_path)
    write_files(site, CYCLE_MODULES)
    answer = run_script(
        python,
        tmp_path / "work",
        {
            "protocol": 1,
            "modules": ["cyc.base", "cyc.a"],
            "timeout": 5.0,
            "jobs": 1,
            "first": ["cyc.raises", "cyc", "cyc.models"],
        },
    )
    assert answer["loaded_by"] == {"cyc.base": "cyc.models"}
    assert answer["modules"]["cyc.base"]["status"] == "ok"
    assert answer["modules"]["cyc.a"]["status"] == "error"
