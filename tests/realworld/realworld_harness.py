"""Running mcheck on real source releases from the package registry, and recording what it said.

The releases are pinned in ``packages.toml`` (name, version, sdist file name and its sha256). Each one is
fetched once into a cache directory, verified against its hash, unpacked, and checked with the real
pipeline (``mcheck.api.check_wheel`` on the unpacked tree: sdist -> wheel -> fresh venv -> imports).
One JSON file per checked release lands in a results directory; :func:`render_markdown` turns a
results directory into ``docs/realworld.md``.

Command line (used by ``nox -s realworld``):

    python tests/realworld/realworld_harness.py render RESULTS_DIR docs/realworld.md
    python tests/realworld/realworld_harness.py pin NAME VERSION     # prints a TOML entry to paste
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tarfile
import tempfile
import time
import tomllib
import urllib.request
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGES_FILE = HERE / "packages.toml"
# Where sdists are cached between runs; CI can point it at a cached directory.
CACHE_DIR = Path(
    os.environ.get("MCHECK_REALWORLD_CACHE", Path.home() / ".cache" / "mcheck-realworld")
)
# The simple-API index the sdists come from (PEP 691 JSON); the same variable uv reads.
INDEX_URL = os.environ.get("UV_DEFAULT_INDEX", "https://pypi.org/simple").rstrip("/")
# MCHECK_REALWORLD_RELEASE=1: check every release with --release (docs/realworld.md lists what that
# adds on releases the index accepted).
RELEASE_GATE = os.environ.get("MCHECK_REALWORLD_RELEASE") == "1"
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Pin:
    """One exact source release: what to download and the hash it must have."""

    name: str
    version: str
    sdist: str
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Healthy:
    pin: Pin
    features: (
        str  # why it is on the list: backend quirks, extras, platform-only modules, plugins ...
    )


@dataclass(frozen=True)
class Broken:
    """A release whose wheel was broken, the finding that must name the breakage, and the fixed release."""

    broken: Pin
    fixed: Pin
    problem: str
    source: str  # the issue / changelog that says it was broken
    expected: frozenset[tuple[str, str]]  # (code, path) findings the broken release must get
    # Codes of further errors that follow from the breakage: every module importing the dropped one
    # fails too (MC301), and so does a console script that needs it (MC401).
    consequences: frozenset[str] = frozenset()


@dataclass
class Outcome:
    """What one mcheck run on one release produced, in a JSON-friendly shape."""

    label: str
    name: str
    version: str
    backend: str
    seconds: float
    modules_imported: int
    modules_failed: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    role: str = "healthy"  # "healthy", "broken", "fixed", or "suite" (a run with --tests)
    # With --tests: what ran (paths, dependencies) and the tally of the per-test outcomes.
    tests: dict[str, Any] | None = None

    def by_severity(self, severity: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == severity]

    def keys(self, severity: str) -> set[tuple[str, str | None]]:
        return {(f["code"], f["path"]) for f in self.by_severity(severity)}


# --- the pinned list ----------------------------------------------------------------------------------


def _pin(table: dict[str, Any], prefix: str = "") -> Pin:
    return Pin(
        table["name"], table[f"{prefix}version"], table[f"{prefix}sdist"], table[f"{prefix}sha256"]
    )


def load_healthy(path: Path = PACKAGES_FILE) -> list[Healthy]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Healthy(_pin(entry), entry.get("features", "")) for entry in data.get("healthy", [])]


@dataclass(frozen=True)
class SuiteEntry:
    """A release whose sdist ships its tests, run with ``--tests``: the MC7xx findings it must get
    (none: no test may fail because of the packaging)."""

    pin: Pin
    expected: frozenset[tuple[str, str]]
    note: str = ""


def load_suites(path: Path = PACKAGES_FILE) -> list[SuiteEntry]:
    """The ``[[suite]]`` entries, each naming a release pinned elsewhere in the file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    pins = {(p.name, p.version): p for h in load_healthy(path) for p in [h.pin]}
    for entry in load_broken(path):
        pins[(entry.broken.name, entry.broken.version)] = entry.broken
        pins[(entry.fixed.name, entry.fixed.version)] = entry.fixed
    return [
        SuiteEntry(
            pins[(entry["name"], entry["version"])],
            frozenset((code, file) for code, file in entry.get("expect", ())),
            entry.get("note", ""),
        )
        for entry in data.get("suite", [])
    ]


def load_broken(path: Path = PACKAGES_FILE) -> list[Broken]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Broken(
            broken=_pin(entry),
            fixed=_pin(entry, "fixed_"),
            problem=entry["problem"],
            source=entry["source"],
            expected=frozenset((code, path) for code, path in entry["expect"]),
            consequences=frozenset(entry.get("consequences", ())),
        )
        for entry in data.get("broken", [])
    ]


# --- fetching -----------------------------------------------------------------------------------------


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _index_files(name: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{INDEX_URL}/{_normalize(name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["files"]


def fetch_sdist(pin: Pin, cache: Path = CACHE_DIR) -> Path:
    """The verified sdist of ``pin`` in ``cache``, downloaded from the index the first time."""
    target = cache / pin.sdist
    if target.is_file() and _sha256(target) == pin.sha256:
        return target
    matches = [f for f in _index_files(pin.name) if f["filename"] == pin.sdist]
    if not matches:
        raise LookupError(f"{pin.sdist} is not on {INDEX_URL}/{_normalize(pin.name)}/")
    cache.mkdir(parents=True, exist_ok=True)
    # Write under a temporary name first: parallel test workers may fetch the same file.
    with (
        tempfile.NamedTemporaryFile(dir=cache, prefix=".part-", delete=False) as part,
        urllib.request.urlopen(matches[0]["url"], timeout=300) as response,
    ):
        part.write(response.read())
    partial = Path(part.name)
    if _sha256(partial) != pin.sha256:
        partial.unlink()
        raise ValueError(f"{pin.sdist}: sha256 differs from the pinned one")
    partial.replace(target)
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unpack(sdist: Path, dest: Path) -> Path:
    """Unpack ``sdist`` under ``dest`` and return the project root (the archive's single top directory)."""
    dest.mkdir(parents=True, exist_ok=True)
    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as archive:
            archive.extractall(dest)
    else:
        with tarfile.open(sdist) as archive:
            archive.extractall(dest, filter="data")
    roots = [p for p in dest.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise ValueError(
            f"{sdist.name}: expected one top-level directory, found {sorted(p.name for p in roots)}"
        )
    return roots[0]


def build_backend(root: Path) -> str:
    """The PEP 517 backend the project declares (setuptools' legacy path when it declares none)."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        system = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("build-system", {})
        if "build-backend" in system:
            return str(system["build-backend"])
    return "setuptools (setup.py)"


# --- running ------------------------------------------------------------------------------------------


def check_release(pin: Pin, workdir: Path, role: str = "healthy") -> Outcome:
    """Fetch, unpack and check ``pin`` with the real pipeline; the outcome is also what the docs show.
    Role "suite" also runs the release's own tests against the wheel (``--tests``)."""
    from mcheck.api import check_wheel
    from mcheck.findings import SuiteCounts

    root = unpack(fetch_sdist(pin), workdir / pin.label)
    backend = build_backend(root)
    started = time.perf_counter()
    # jobs=2: the probe imports two modules at a time, within the 2 cores the whole run may use.
    with tempfile.TemporaryDirectory(prefix="mcheck-cwd-") as empty, contextlib.chdir(empty):
        report = check_wheel(root, jobs=2, release=RELEASE_GATE, tests=role == "suite" or None)
    seconds = time.perf_counter() - started
    findings = [
        {
            "code": f.code,
            "severity": f.severity.value,
            "path": f.path,
            "line": f.line,
            "message": f.message,
        }
        for f in report.sorted_findings
    ]
    return Outcome(
        pin.label,
        pin.name,
        pin.version,
        backend,
        round(seconds, 1),
        report.modules.imported,
        report.modules.failed,
        findings,
        role,
        _tests_summary(report, SuiteCounts) if role == "suite" else None,
    )


def _tests_summary(report: Any, counts_of: Any) -> dict[str, Any]:
    suite = report.suite
    counts = counts_of.of(report.tests)
    codes = Counter(case.code for case in report.tests if case.code)
    return {
        "paths": list(suite.paths) if suite else [],
        "requirements_from": suite.requirements_from if suite else "",
        "ran": counts.ran,
        "failed": counts.failed,
        "uncollected": sum(1 for c in report.tests if c.wheel == "uncollected"),
        "codes": dict(codes),
    }


def save_outcome(outcome: Outcome, results_dir: Path) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{outcome.role}-{outcome.label}.json").write_text(
        json.dumps(asdict(outcome), indent=1)
    )


def load_outcomes(results_dir: Path) -> list[Outcome]:
    return [Outcome(**json.loads(p.read_text())) for p in sorted(results_dir.glob("*.json"))]


# --- the markdown report --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _findings_summary(outcome: Outcome, severity: str) -> str:
    counts = Counter(f["code"] for f in outcome.by_severity(severity))
    return ", ".join(f"{code} x{n}" if n > 1 else code for code, n in sorted(counts.items())) or "-"


def _healthy_table(healthy: list[Healthy], outcomes: dict[str, Outcome]) -> list[str]:
    lines = [
        "| package | version | backend | modules imported | errors | warnings | infos | seconds | exercises |",
        "| --- | --- | --- | ---: | --- | --- | --- | ---: | --- |",
    ]
    for entry in healthy:
        o = outcomes.get(f"healthy-{entry.pin.label}")
        if o is None:
            lines.append(
                f"| {entry.pin.name} | {entry.pin.version} | not run | | | | | | {_cell(entry.features)} |"
            )
            continue
        lines.append(
            f"| {o.name} | {o.version} | `{o.backend}` | {o.modules_imported}"
            f"{f' ({o.modules_failed} failed)' if o.modules_failed else ''} | "
            f"{_findings_summary(o, 'error')} | {_findings_summary(o, 'warning')} | "
            f"{_findings_summary(o, 'info')} | {o.seconds:.1f} | {_cell(entry.features)} |"
        )
    return lines


def _broken_table(broken: list[Broken], outcomes: dict[str, Outcome]) -> list[str]:
    lines = [
        "| release | what was broken | expected | mcheck on the broken release | fixed release | "
        "errors on the fixed release | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for entry in broken:
        bad = outcomes.get(f"broken-{entry.broken.label}")
        good = outcomes.get(f"fixed-{entry.fixed.label}")
        expected = "<br>".join(f"{code} `{path}`" for code, path in sorted(entry.expected))
        if entry.consequences:
            expected += f"<br>(and {'/'.join(sorted(entry.consequences))} for what depends on it)"
        got = _broken_summary(bad, entry) if bad else "not run"
        fixed_errors = _findings_summary(good, "error") if good else "not run"
        lines.append(
            f"| {entry.broken.label} | {_cell(entry.problem)} | {expected} | {got or '-'} | "
            f"{entry.fixed.version} | {fixed_errors} | [link]({entry.source}) |"
        )
    return lines


def _broken_summary(outcome: Outcome, entry: Broken) -> str:
    """The expected findings mcheck reported, then a count of the other errors by code."""
    reported = outcome.keys("error") | outcome.keys("warning")
    found = [f"{code} `{path}`" for code, path in sorted(entry.expected & reported)]
    missing = [f"**missing** {code} `{path}`" for code, path in sorted(entry.expected - reported)]
    others = Counter(
        f["code"]
        for f in outcome.by_severity("error")
        if (f["code"], f["path"]) not in entry.expected
    )
    rest = [f"+ {n} {code}" for code, n in sorted(others.items())]
    return "<br>".join(found + missing + rest)


def _details(outcomes: list[Outcome]) -> list[str]:
    lines: list[str] = []
    for o in outcomes:
        shown = o.findings
        if not shown:
            continue
        lines.append(f"### {o.label} ({o.role})")
        lines.append("")
        for f in shown:
            where = f"{f['path']}:{f['line']}" if f["line"] else (f["path"] or "-")
            lines.append(f"- {f['severity']} {f['code']} `{where}`: {_cell(f['message'])[:300]}")
        lines.append("")
    return lines


# How each release-gate code found on these releases (which the index accepted when they were
# uploaded) was checked against the index's rules; a code without an entry here fails the render.
RELEASE_REVIEW = {
    "MC602": "the README.rst has an unclosed inline literal; readme_renderer, which the index runs at "
    "upload, refuses it today: the index accepted these releases before it enforced rendering",
    "MC606": "the sdist on the index declares `Typing :: Typed` and holds no `py.typed` (tar listing)",
    "MC601": "Django 5.1.4's build requirements keep setuptools below 77, which writes License-File "
    "under Metadata-Version 2.1; the index answers 400 to uv publish and hatch publish for that field "
    "(twine drops it): a finding about the rebuild and the uploader, not the files on the index",
    "MC609": "the rebuilt sdist is named Django-5.1.4.tar.gz (setuptools before 69.3 does not "
    "normalise, PEP 625); the index still accepts such names and warns by email (pypi/warehouse#12245 "
    "open): a warning, as the index gives it",
    "MC608": "the wheel rebuilt today (current hatchling or flit-core) has Metadata-Version 2.5, "
    "which twine 6.2.0 refuses (pypa/twine#1327): a warning about the rebuild, not the upload",
}


def _release_section(release_dir: Path | None) -> list[str]:
    if release_dir is None or not release_dir.is_dir():
        return []
    outcomes = load_outcomes(release_dir)
    rows = [
        (o.label, f["code"], f["severity"], f["message"])
        for o in sorted(outcomes, key=lambda o: o.label)
        for f in o.findings
        if f["code"].startswith("MC6")
    ]
    unreviewed = sorted({code for _, code, _, _ in rows} - set(RELEASE_REVIEW))
    if unreviewed:
        raise ValueError(f"release findings nobody checked against the index's rules: {unreviewed}")
    lines = [
        "## With `--release` (the release gate)",
        "",
        f"The same {len(outcomes)} releases checked with `--release` "
        "(`MCHECK_REALWORLD_RELEASE=1`): every release-gate finding, and how it was checked.",
        "",
        "| release | code | severity | finding |",
        "|---|---|---|---|",
        *(f"| {label} | {code} | {sev} | {_cell(message)} |" for label, code, sev, message in rows),
        "",
        "| code | checked against the index's rules |",
        "|---|---|",
        *(
            f"| {code} | {RELEASE_REVIEW[code]} |"
            for code in sorted({code for _, code, _, _ in rows})
        ),
        "",
    ]
    return lines


def _suite_section(outcomes: dict[str, Outcome], suites: list[SuiteEntry]) -> list[str]:
    ran = [outcomes.get(f"suite-{entry.pin.label}") for entry in suites]
    if not any(ran):
        return []
    lines = [
        "## The projects' own tests, against the wheel (`--tests`)",
        "",
        "Each release's test suite, as its sdist ships it, run twice in the fresh venv: against the",
        "installed wheel (a copy of the unpacked sdist without the code the wheel is built from) and",
        "on the unpacked sdist itself. MC701: passes there, fails against the wheel; MC702: fails on",
        "both; MC703: a test file only the sdist can collect (its tests count as uncollected).",
        "",
        "| release | tests | dependencies from | ran | failed | uncollected | MC701 | MC702 | MC703 "
        "| seconds | expected |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry, outcome in zip(suites, ran, strict=True):
        if outcome is None or outcome.tests is None:
            lines.append(f"| {entry.pin.label} | not run | | | | | | | | | |")
            continue
        t, codes = outcome.tests, outcome.tests["codes"]
        expected = ", ".join(f"{c} {p}" for c, p in sorted(entry.expected)) or "no MC701/MC703"
        lines.append(
            f"| {entry.pin.label} | {_cell(', '.join(t['paths']))} | {_cell(t['requirements_from'])} "
            f"| {t['ran']} | {t['failed']} | {t['uncollected']} | {codes.get('MC701', 0)} "
            f"| {codes.get('MC702', 0)} | {codes.get('MC703', 0)} | {outcome.seconds} "
            f"| {_cell(expected + ('; ' + entry.note if entry.note else ''))} |"
        )
    findings = [
        (o.label, f)
        for o in ran
        if o is not None
        for f in o.findings
        if f["code"].startswith("MC7")
    ]
    if findings:
        lines += ["", "| release | code | test | finding |", "|---|---|---|---|"]
        lines += [
            f"| {label} | {f['code']} | {_cell(f['path'] or '')} | {_cell(f['message'])} |"
            for label, f in findings
        ]
    return [*lines, ""]


def render_markdown(
    results_dir: Path, packages_file: Path = PACKAGES_FILE, release_dir: Path | None = None
) -> str:
    """``docs/realworld.md`` from the outcomes saved in ``results_dir`` (and, when given, those of a
    ``--release`` run in ``release_dir``)."""
    outcomes = {f"{o.role}-{o.label}": o for o in load_outcomes(results_dir)}
    healthy, broken = load_healthy(packages_file), load_broken(packages_file)
    ran = [o for o in outcomes.values() if o.role == "healthy"]
    total = {s: sum(len(o.by_severity(s)) for o in ran) for s in SEVERITIES}
    lines = [
        "# mcheck on real packages",
        "",
        "Generated by `nox -s realworld` (`tests/realworld/`); do not edit by hand. Each release below is the",
        "pinned sdist from the package registry (`tests/realworld/packages.toml`), checked with the real pipeline:",
        "build the sdist and the wheel from it, install the wheel into a fresh venv, import every module, diff.",
        "",
        "## Healthy releases: no error may be reported",
        "",
        f"{len(ran)} of {len(healthy)} releases checked: {total['error']} errors, {total['warning']} warnings, "
        f"{total['info']} infos.",
        "",
        *_healthy_table(healthy, outcomes),
        "",
        "## Releases whose wheel was broken",
        "",
        "Each must get the expected findings; its fixed release must get no error.",
        "",
        *_broken_table(broken, outcomes),
        "",
        *_release_section(release_dir),
        *_suite_section(outcomes, load_suites(packages_file)),
        "## Every finding, for review",
        "",
        *_details(
            sorted(
                (o for o in outcomes.values() if o.role != "suite"),
                key=lambda o: (o.role != "healthy", o.label),
            )
        ),
    ]
    return "\n".join(lines).rstrip() + "\n"


def pin_entry(name: str, version: str) -> str:
    """A ``[[healthy]]`` TOML entry for the sdist of ``name==version`` on the index, with its hash."""
    stem = re.compile(
        rf"^{re.sub(r'[-_.]+', '[-_.]+', name)}-{re.escape(version)}\.(tar\.gz|zip)$", re.IGNORECASE
    )
    for file in _index_files(name):
        if stem.match(file["filename"]):
            return (
                f'[[healthy]]\nname = "{name}"\nversion = "{version}"\nsdist = "{file["filename"]}"\n'
                f'sha256 = "{file["hashes"]["sha256"]}"\n'
            )
    raise LookupError(f"no sdist of {name}=={version} on {INDEX_URL}")


def main(argv: list[str]) -> int:
    if len(argv) in (3, 4) and argv[0] == "render":
        release = Path(argv[3]) if len(argv) == 4 else None
        text = render_markdown(Path(argv[1]), release_dir=release)
        Path(argv[2]).write_text(text, encoding="utf-8")
        return 0
    if len(argv) == 3 and argv[0] == "pin":
        print(pin_entry(argv[1], argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
