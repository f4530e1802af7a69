"""MC701-MC703: the project's own tests, against the installed wheel and on the checkout (``--tests``).

The classification is :func:`mcheck.wheel.suite_verdicts.verdicts`; this module words each verdict and
links it to the packaging finding that explains it: a dropped file named in the traceback (MC101,
MC102), a module the wheel lacks (MC101, MC107, MC109) or a dependency nobody declared (MC202).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence

from mcheck.catalogue import ROOT_CAUSE_CODES
from mcheck.checks import CheckContext, check
from mcheck.checks.import_failures import NO_MODULE
from mcheck.findings import Finding
from mcheck.probes.protocol import CaseResult, CollectionError
from mcheck.wheel.suite_verdicts import SuiteComparison, Verdict, verdicts

DROPPED_FILE_CODES = ("MC101", "MC102")
# A quoted path that goes up out of a directory: 'pkg/../../templates/x.html'.
CLIMBING_PATH = re.compile(r"""['"]((?:[\w.-]+/)+?\.\.(?:/[^'"\s]*)?)['"]""")
CHECKOUT_NOTE = (
    "on the checkout the source tree was on sys.path; against the wheel only what it installs"
)


@check("MC701", "MC702", "MC703", reads=(*ROOT_CAUSE_CODES, "MC102"))
def suite_outcomes(ctx: CheckContext, suite: SuiteComparison) -> Iterator[Finding]:
    files = ctx.project.files if ctx.project is not None else ()
    for verdict in verdicts(suite):
        yield _finding(verdict, suite, ctx.earlier, files)


def _finding(
    verdict: Verdict, suite: SuiteComparison, earlier: list[Finding], files: Sequence[str]
) -> Finding:
    failure = verdict.wheel
    path = suite.project_path(verdict.nodeid)
    line = failure.line if isinstance(failure, CaseResult) else None
    crash = f": {failure.crash}" if failure.crash else ""
    cause = root_cause(failure, earlier, files)
    if verdict.code == "MC703":
        message = (
            f"{path} cannot be collected against the installed wheel{crash}; "
            + _collected_on_checkout(suite)
        )
        return Finding("MC703", path, message, hint=cause or CHECKOUT_NOTE)
    if verdict.code == "MC702":
        what = "cannot be collected" if isinstance(failure, CollectionError) else "fails"
        message = f"{verdict.nodeid} {what} against the wheel and on the checkout{crash}"
        hint = "not a packaging problem: the test (or the code it tests) is broken"
        return Finding("MC702", path, message, hint=hint, line=line)
    if verdict.checkout is None:
        compared = (
            "not run on the checkout (--tests=wheel-only), so mcheck cannot tell a packaging "
            "bug from a bug in the code"
            if suite.checkout is None
            else "the checkout run has no such test"
        )
        message = (
            f"{verdict.nodeid} {failure.outcome}s against the installed wheel{crash}; {compared}"
        )
    else:
        message = (
            f"{verdict.nodeid} {verdict.checkout.outcome} on the checkout and "
            f"{_past(failure)} against the installed wheel{crash}"
        )
    return Finding("MC701", path, message, hint=cause or CHECKOUT_NOTE, line=line)


def _past(case: CaseResult | CollectionError) -> str:
    return "errors" if isinstance(case, CaseResult) and case.outcome == "error" else "fails"


def _collected_on_checkout(suite: SuiteComparison) -> str:
    if suite.checkout is None:
        return "not run on the checkout (--tests=wheel-only)"
    return "on the checkout it is collected: the test imports what the wheel does not ship"


def root_cause(
    failure: CaseResult | CollectionError, earlier: list[Finding], files: Sequence[str] = ()
) -> str | None:
    """``root cause: MC102 pkg/templates/page.html`` when an earlier finding explains ``failure``;
    else what the failure itself shows (a path out of the package, a module the wheel lacks)."""
    text = "\n".join(filter(None, [failure.crash, failure.longrepr]))
    if not text:
        return None
    cause = _dropped_file_named(text, earlier) or _missing_module_cause(text, earlier)
    if cause is not None:
        line = f":{cause.line}" if cause.line else ""
        return f"root cause: {cause.code} {cause.path}{line}; {CHECKOUT_NOTE}"
    outside = _path_out_of_the_package(failure.crash or "", files)
    if outside is not None:
        return outside
    missing = NO_MODULE.search(text)
    if missing is not None:
        return f"`{missing.group(1)}` is not importable from the installed wheel; {CHECKOUT_NOTE}"
    return None


def _path_out_of_the_package(crash: str, files: Sequence[str]) -> str | None:
    """``FileNotFoundError: ... 'pkg/../../templates/x.html'``: the code climbs out of its installed
    package to a file that sits next to it only in the source tree. No wheel can ship it there."""
    match = CLIMBING_PATH.search(crash)
    if match is None:
        return None
    raw = match.group(1)
    package = raw.split("/", 1)[0]
    tail = posixpath.normpath(raw).lstrip("./")
    source = next((f for f in files if f == tail or f.endswith(f"/{tail}")), None)
    if source is None and any(f.startswith(f"{tail}/") for f in files):
        source = f"{tail}/"  # a directory of the source tree
    where = f" (`{source}` in the source tree)" if source else ""
    return (
        f"the code reads `{raw}`, a path that climbs out of the installed package `{package}`"
        f"{where}: a wheel installs packages, nothing beside them; move the file into the package "
        "and read it with importlib.resources"
    )


def _dropped_file_named(text: str, earlier: list[Finding]) -> Finding | None:
    """A file the traceback names (``.../site-packages/pkg/data/x.json``) that the wheel dropped."""
    return next(
        (
            finding
            for finding in earlier
            if finding.code in DROPPED_FILE_CODES
            and finding.path
            and re.search(rf"(?:^|[/'\"\s]){re.escape(finding.path)}(?:['\"]|$|\s)", text, re.M)
        ),
        None,
    )


def _missing_module_cause(text: str, earlier: list[Finding]) -> Finding | None:
    missing = NO_MODULE.search(text)
    if missing is None:
        return None
    name = missing.group(1)
    top = name.split(".", 1)[0]
    for finding in earlier:
        if finding.code not in ROOT_CAUSE_CODES or not finding.path:
            continue
        if finding.code == "MC202":
            if f" imports {top}," in finding.message:
                return finding
        elif _related(_dotted(finding.path), name):
            return finding
    return None


def _dotted(path: str) -> str:
    """``pkg/sub/__init__.py`` -> ``pkg.sub``; dotted names stay as they are."""
    if "/" not in path and not path.endswith(".py"):
        return path
    stem = path.removesuffix(".py").removesuffix("/__init__").rstrip("/")
    return stem.replace("/", ".")


def _related(module: str, missing: str) -> bool:
    return module == missing or missing.startswith(f"{module}.") or module.startswith(f"{missing}.")
