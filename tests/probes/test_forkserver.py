"""The import probe's fork servers: a package proven fork-safe is imported once and its modules are forked
from there; the results must be exactly those of one fresh child per module."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest
import uv
from tests.probes.test_probe import make_venv, write_files

from mcheck.probes.imports import PROBE_SCRIPT, parse_probe_report
from mcheck.probes.scripts.import_probe import MIN_GROUP, _subgroups

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork servers need os.fork")

TREE = {
    # A parent with side effects on process-wide state; its modules read and mutate that state and the
    # package itself. Each module must see the package exactly as a fresh import leaves it.
    "side/__init__.py": "import os\nos.environ['SIDE_LOADED'] = '1'\nCOUNTER = [0]\n",
    "side/reads_env.py": "import os\nassert os.environ['SIDE_LOADED'] == '1'\n",
    "side/bumps.py": "from side import COUNTER\nCOUNTER[0] += 1\nassert COUNTER == [1], COUNTER\n",
    "side/mutates_parent.py": "import side\nside.EXTRA = 'set'\ndel side.COUNTER\n",
    "side/sees_pristine_parent.py": "import side\nassert not hasattr(side, 'EXTRA')\nassert side.COUNTER == [0]\n",
    # Unrelated to ``side``: its environment change must not leak here.
    "other.py": "import os\nassert 'SIDE_LOADED' not in os.environ\n",
    # A parent that fails: every module below it fails with the parent's exception.
    "fails/__init__.py": "raise RuntimeError('parent is broken')\n",
    "fails/a.py": "",
    "fails/b.py": "",
    "fails/c.py": "",
    # Parents that are not fork-safe: output, a thread, an open file, a signal handler.
    "prints/__init__.py": "print('hello from prints')\n",
    "prints/a.py": "print('a')\n",
    "prints/b.py": "",
    "prints/c.py": "",
    "threads/__init__.py": "import threading, time\n"
    "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n",
    "threads/a.py": "import threading\nassert threading.active_count() == 2\n",
    "threads/b.py": "",
    "threads/c.py": "",
    "opens_fd/__init__.py": "HANDLE = open(__file__)\n",
    "opens_fd/a.py": "import opens_fd\nassert not opens_fd.HANDLE.closed\nopens_fd.HANDLE.read()\n",
    "opens_fd/b.py": "",
    "opens_fd/c.py": "",
    "sig/__init__.py": "import signal\nsignal.signal(signal.SIGUSR1, lambda *a: None)\n",
    "sig/a.py": "import signal\nassert signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, None)\n",
    "sig/b.py": "",
    "sig/c.py": "",
    # Safe the first time only: the server's own import starts a thread, so it must step back.
    "flaky/__init__.py": textwrap.dedent("""\
        import os, threading, time
        if os.path.exists('flaky-imported-before'):
            threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        open('flaky-imported-before', 'w').close()
        """),
    "flaky/a.py": "",
    "flaky/b.py": "",
    "flaky/c.py": "",
    # Nested servers (deep, then deep.mid), with failures, exits, crashes and a hang inside them.
    "deep/__init__.py": "LEVEL = 'deep'\n",
    "deep/x.py": "from deep import LEVEL\n",
    "deep/y.py": "import missing_in_deep_y\n",
    "deep/mid/__init__.py": "from deep import LEVEL\n",
    "deep/mid/ok.py": "VALUE = 1\n",
    "deep/mid/raises.py": "raise ValueError('deep failure')\n",
    "deep/mid/exits.py": "import sys\nprint('leaving')\nsys.exit(3)\n",
    "deep/mid/crashes.py": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    "deep/mid/hangs.py": "while True:\n    pass\n",
    # A namespace package (no __init__.py) is served too.
    "ns/a.py": "",
    "ns/b.py": "",
    "ns/c.py": "raise ImportError('ns.c is broken')\n",
}
MODULES = [path[:-3].replace("/__init__", "").replace("/", ".") for path in TREE]


def run_probe(python: Path, workdir: Path, *, preimport: bool) -> tuple[dict, set[str]]:
    """Run the probe script on every module of TREE: (report, packages that got a fork server)."""
    workdir.mkdir(parents=True)
    request = {"modules": MODULES, "timeout": 2.0, "jobs": 2, "preimport": preimport}
    (workdir / "in.json").write_text(json.dumps(request))
    subprocess.run(
        [str(python), "-I", str(PROBE_SCRIPT), str(workdir / "in.json"), str(workdir / "out.json")],
        cwd=workdir,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    servers = {
        path.name[len("group-") : -len(".json")]
        for path in (workdir / "out.json.d").glob("group-*.json")
    }
    return json.loads((workdir / "out.json").read_text()), servers


def without_timings(report: dict) -> dict:
    return {
        **report,
        "modules": {
            name: {k: v for k, v in result.items() if k != "seconds"}
            for name, result in report["modules"].items()
        },
    }


@pytest.fixture(scope="module")
def both_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[tuple[dict, set[str]], tuple[dict, set[str]]]:
    root = tmp_path_factory.mktemp("forkserver")
    python, site = make_venv(root)
    write_files(site, TREE)
    return run_probe(python, root / "served", preimport=True), run_probe(
        python, root / "fresh", preimport=False
    )


def test_results_are_identical_with_and_without_fork_servers(both_runs: tuple) -> None:
    (served, _), (fresh, _) = both_runs
    assert without_timings(served) == without_timings(fresh)
    assert list(served["modules"]) == MODULES  # in request order


def test_only_fork_safe_packages_get_a_server(both_runs: tuple) -> None:
    (_, servers), (_, no_servers) = both_runs
    assert servers == {"side", "deep", "deep.mid", "ns"}
    assert no_servers == set()


def test_outcomes_inside_servers(both_runs: tuple) -> None:
    modules = parse_probe_report(both_runs[0][0]).modules
    assert {name: m.status for name, m in modules.items()} == {
        "side": "ok",
        "side.reads_env": "ok",
        "side.bumps": "ok",
        "side.mutates_parent": "ok",
        "side.sees_pristine_parent": "ok",
        "other": "ok",
        "fails": "error",
        "fails.a": "error",
        "fails.b": "error",
        "fails.c": "error",
        "prints": "ok",
        "prints.a": "ok",
        "prints.b": "ok",
        "prints.c": "ok",
        "threads": "ok",
        "threads.a": "ok",
        "threads.b": "ok",
        "threads.c": "ok",
        "opens_fd": "ok",
        "opens_fd.a": "ok",
        "opens_fd.b": "ok",
        "opens_fd.c": "ok",
        "sig": "ok",
        "sig.a": "ok",
        "sig.b": "ok",
        "sig.c": "ok",
        "flaky": "ok",
        "flaky.a": "ok",
        "flaky.b": "ok",
        "flaky.c": "ok",
        "deep": "ok",
        "deep.x": "ok",
        "deep.y": "error",
        "deep.mid": "ok",
        "deep.mid.ok": "ok",
        "deep.mid.raises": "error",
        "deep.mid.exits": "exited",
        "deep.mid.crashes": "crashed",
        "deep.mid.hangs": "timeout",
        "ns.a": "ok",
        "ns.b": "ok",
        "ns.c": "error",
    }
    assert (
        modules["fails.b"].error is not None
        and modules["fails.b"].error.message == "parent is broken"
    )
    assert modules["prints.a"].output_tail == "hello from prints\na\n"
    assert (modules["deep.mid.exits"].exit_code, modules["deep.mid.exits"].output_tail) == (
        3,
        "leaving\n",
    )
    assert modules["deep.mid.crashes"].signal == signal.SIGSEGV
    assert (
        modules["deep.y"].error is not None
        and modules["deep.y"].error.missing_name == "missing_in_deep_y"
    )


def test_subgroups_need_enough_modules_below_a_package() -> None:
    names = [
        "a",
        "a.x",
        "a.y",
        "a.z",
        "a.b",
        "a.b.one",
        "a.b.two",
        "a.b.three",
        "c.one",
        "c.two",
        "top",
    ]
    assert MIN_GROUP == 3
    assert _subgroups(names, "") == {
        "a": ["a.x", "a.y", "a.z", "a.b", "a.b.one", "a.b.two", "a.b.three"]
    }
    assert _subgroups(names, "a") == {"a.b": ["a.b.one", "a.b.two", "a.b.three"]}
    assert _subgroups(names, "a.b") == {}


@pytest.mark.slow
def test_a_real_package_gets_identical_results_faster(tmp_path: Path) -> None:
    """sentry-sdk: 200+ modules below one package whose import is heavy; most integrations fail to import."""
    python, site = make_venv(tmp_path)
    subprocess.run(
        [
            uv.find_uv_bin(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "sentry-sdk==2.75.0",
        ],
        check=True,
    )
    modules = sorted(
        str(path.relative_to(site).with_suffix("")).replace("/__init__", "").replace("/", ".")
        for path in (site / "sentry_sdk").rglob("*.py")
        if path.name != "__main__.py"
    )
    reports = []
    for preimport in (True, False):
        workdir = tmp_path / f"work-{preimport}"
        workdir.mkdir()
        request = {"modules": modules, "timeout": 30.0, "jobs": 2, "preimport": preimport}
        (workdir / "in.json").write_text(json.dumps(request))
        subprocess.run(
            [
                str(python),
                "-I",
                str(PROBE_SCRIPT),
                str(workdir / "in.json"),
                str(workdir / "out.json"),
            ],
            cwd=workdir,
            check=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
        reports.append(without_timings(json.loads((workdir / "out.json").read_text())))
    assert reports[0] == reports[1]
    statuses = {result["status"] for result in reports[0]["modules"].values()}
    assert statuses == {"ok", "error"}
    assert (tmp_path / "work-True" / "out.json.d" / "group-sentry_sdk.integrations.json").is_file()
