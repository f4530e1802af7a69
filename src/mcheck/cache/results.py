"""Result cache: the report of a target whose inputs have not changed, replayed instead of recomputed.

A warm run still builds (served by the build cache) and still resolves the dependencies (as the venv
cache does); installing, importing every module and the checks are what it can skip. The key
(:mod:`mcheck.wheel.replay` assembles it) covers everything a report depends on: the project's files,
the bytes of the artifacts the checks read, the dependency set resolved *now* for each interpreter,
the interpreters, mcheck's version and the settings. Anything it cannot pin down (no uv, offline,
``--tests``, ``--fix``, ``--serve``) is never cached.

Layout under ``results/`` of :func:`mcheck.cache.cache_dir`: ``<key>/report.json`` holds the report as
the JSON reporter writes it (``docs/json-schema.json``: data, never code, so a cache restored from an
untrusted CI run cannot run anything) plus when it was computed. Entries are published atomically and
never modified (:func:`mcheck.cache.publish_entry`). Reports that depend on the moment rather than on
the inputs are not stored: an install that failed (MC002), a probe that did not finish (MC003) and
an import that timed out (MC302) are computed again on the next run.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from mcheck import __version__
from mcheck.cache import cache_dir, evict, publish_entry, touch_entry
from mcheck.findings import Report

RESULT_FORMAT = 1  # bump when the key or the layout of an entry changes
REPORT_FILE = "report.json"
# Findings about this moment on this machine, not about the target: such a report is not replayed.
MOMENTARY_CODES = frozenset({"MC002", "MC003", "MC302"})


def result_key(identity: Mapping[str, object]) -> str:
    """The key of a report computed from ``identity`` (JSON-serialisable inputs)."""
    keyed = {"format": RESULT_FORMAT, "mcheck": __version__, **identity}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:32]


def lookup(key: str) -> Report | None:
    """The stored report for ``key``, with ``computed_at`` set; None on a miss or a damaged entry."""
    from mcheck.reporters.json import report_from_data

    entry = _results_root() / key
    try:
        data = json.loads((entry / REPORT_FILE).read_text("utf-8"))
        report = report_from_data(data["report"])
        report.computed_at = str(data["computed_at"])
        report.installed = {str(k): str(v) for k, v in data.get("installed", {}).items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):  # damaged: evicted, and computed again
        evict(entry)
        return None
    touch_entry(entry)
    return report


def store(key: str, report: Report) -> None:
    """Keep ``report`` for the next run with the same inputs. Never fails the run."""
    if any(f.code in MOMENTARY_CODES for f in report.findings):
        return
    from mcheck.reporters.json import to_json_data

    data = {
        "computed_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "report": to_json_data([report]),
        "installed": report.installed,
    }
    text = json.dumps(data)

    def fill(staging: Path) -> None:
        (staging / REPORT_FILE).write_text(text, "utf-8")

    try:
        publish_entry(_results_root() / key, fill, complete=_complete)
    except OSError:  # a full disk or a read-only cache costs speed, not correctness
        return


def _complete(entry: Path) -> bool:
    return (entry / REPORT_FILE).is_file()


def _results_root() -> Path:
    return cache_dir() / "results"
