"""mcheck suite probe: run the project's pytest suite inside the target venv, report test by test.

Runs INSIDE the target venv as ``<venv python> -I suite_probe.py <in.json> <out.json>``. Standard
library only, no mcheck imports; pytest itself is one of the test dependencies the host installed.

Input::

    {"cwd": "/tmp/x/tests-copy",              # where pytest runs (its rootdir is given in args)
     "sys_path": ["/repo/src", "/repo"],      # prepended to sys.path: [] against the wheel
     "args": ["--rootdir=...", "tests", ...]} # the whole pytest command line

Output::

    {"protocol": 1,
     "exit_code": 0..5,                       # pytest's own (5: no tests collected)
     "collected": 12,
     "cases": [{"nodeid", "outcome", "seconds", "file", "line", "crash", "longrepr"}],
     "collection_errors": [{"nodeid", "crash", "longrepr"}]}

``outcome`` is passed, failed (the test body), error (a fixture's setup or teardown), skipped,
xfailed or xpassed. ``crash`` is the one-line ``Type: message`` of the failure; ``longrepr`` the end of
pytest's report. Every finished case is also appended to ``<out.json>.cases`` as it finishes, so a run
the host stops at its timeout still says which tests had run.
"""

from __future__ import annotations

import json
import os
import sys

# The shared support module is copied next to this script by the host (mcheck.probes.runner). With
# `-I` the script's directory is not on sys.path: add it for this one import only.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # noqa: PTH100, PTH120
try:
    from _mcheck_probe_support import (
        become_subreaper,
        exit_on_sigterm,
        kill_descendants,
        text,
        write_result,
    )
finally:
    del sys.path[0]

PROTOCOL = 1
LONGREPR_LIMIT = 3000
_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "xpassed": 1, "failed": 2, "error": 3}


def _crash(report: object) -> str | None:
    """``FileNotFoundError: [Errno 2] ... 'x.html'``: the one line of what raised. A collection error
    of an import has no ``reprcrash``: its report's last ``E   Type: message`` line says it."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return text(message)
    lines = (getattr(report, "longreprtext", "") or "").splitlines()
    raised = [line[1:].strip() for line in lines if line.startswith("E ") and ":" in line]
    return text(raised[-1]) if raised else None


def _longrepr(report: object) -> str | None:
    longrepr = getattr(report, "longreprtext", "") or ""
    return longrepr[-LONGREPR_LIMIT:] if longrepr else None


def _outcome(report: object) -> str:
    """One phase's outcome in the terms of the summary line pytest prints."""
    wasxfail = hasattr(report, "wasxfail")
    if report.outcome == "skipped":  # type: ignore[attr-defined]
        return "xfailed" if wasxfail else "skipped"
    if report.outcome == "passed":  # type: ignore[attr-defined]
        return "xpassed" if wasxfail else "passed"
    return "failed" if report.when == "call" else "error"  # type: ignore[attr-defined]


class Recorder:
    """A pytest plugin object: hooks are looked up by name, so it needs nothing from pytest."""

    def __init__(self, stream_path: str) -> None:
        self.cases: dict[str, dict] = {}
        self.collection_errors: list[dict] = []
        self.collected = 0
        self._stream = open(stream_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in finish

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collection_errors.append(
                {"nodeid": report.nodeid, "crash": _crash(report), "longrepr": _longrepr(report)}
            )

    def pytest_collection_finish(self, session) -> None:
        self.collected = len(session.items)

    def pytest_runtest_logreport(self, report) -> None:
        phase = _outcome(report)
        case = self.cases.get(report.nodeid)
        if case is None:
            path, line, _ = report.location
            case = self.cases[report.nodeid] = {
                "nodeid": report.nodeid,
                "outcome": phase,
                "seconds": 0.0,
                "file": path,
                "line": line + 1 if isinstance(line, int) else None,
                "crash": None,
                "longrepr": None,
            }
        case["seconds"] += float(getattr(report, "duration", 0.0) or 0.0)
        # The worst phase decides: a passing body with a failing teardown is an error.
        if phase != "passed" and _RANK[phase] >= _RANK[case["outcome"]]:
            case["outcome"] = phase
            case["crash"], case["longrepr"] = _crash(report), _longrepr(report)
        if report.when == "teardown":
            self._stream.write(json.dumps(case) + "\n")
            self._stream.flush()

    def finish(self) -> None:
        self._stream.close()


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        request = json.load(fh)
    become_subreaper()
    exit_on_sigterm()
    sys.path[:0] = request["sys_path"]
    # `-I` ignores PYTHONDONTWRITEBYTECODE: without this the checkout run would leave __pycache__
    # (pytest's rewritten test modules among them) in the user's source tree.
    sys.dont_write_bytecode = True
    os.chdir(request["cwd"])
    recorder = Recorder(sys.argv[2] + ".cases")
    output: dict = {"protocol": PROTOCOL}
    try:
        import pytest

        code = pytest.main(list(request["args"]), plugins=[recorder])
        output["exit_code"] = int(code)
    except BaseException as exc:  # pytest itself could not run: the host reports the log
        output["exit_code"] = None
        output["error"] = text(f"{type(exc).__name__}: {exc}")
    finally:
        recorder.finish()
    output.update(
        collected=recorder.collected,
        cases=list(recorder.cases.values()),
        collection_errors=recorder.collection_errors,
    )
    kill_descendants()
    write_result(output, sys.argv[2])


if __name__ == "__main__":
    main()
