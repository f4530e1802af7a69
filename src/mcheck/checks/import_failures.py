"""Classify the import probe's failures: MC301 (raises), MC302 (hangs), MC303 (exits/crashes), MC304 (expected).

Importing every shipped module of a healthy package fails more often than one would think, for good
reasons: a module needs an optional extra, is meant for Windows, or is test tooling. Those become MC304
(info); everything else is an error, linked to its root cause when an earlier check found one.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mcheck.analysis.model import StaticAnalysis
from mcheck.analysis.names import TEMPLATE_PLACEHOLDER
from mcheck.catalogue import ROOT_CAUSE_CODES
from mcheck.checks import CheckContext, check
from mcheck.checks.python_floor import removed_by_python
from mcheck.findings import Finding
from mcheck.knowledge.conventions import (
    INTEGRATION_PACKAGES,
    NEEDS_CONFIGURATION,
    TEST_MODULE,
    TOOL_PLUGINS,
    VENDOR_DIRS,
)
from mcheck.knowledge.import_names import distributions_for_import, import_names_for_distribution
from mcheck.knowledge.platforms import (
    HOST_GUI_BINDINGS,
    PLATFORM_GUARD_TYPES,
    PLATFORM_MODULES,
    PLATFORM_WORDS,
    REMOVED_STDLIB,
)
from mcheck.probes.protocol import ExceptionInfo, Frame, ImportOrder, ModuleResult, ProbeResult
from mcheck.wheel.artifacts import WheelContents, module_name_for

NO_MODULE = re.compile(r"No module named '([^']+)'")
CANNOT_IMPORT = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
NO_ATTRIBUTE = re.compile(r"module '([^']+)' has no attribute '([^']+)'")
FROM_IMPORT = re.compile(r"\bfrom\s+([\w.]+)\s+import\s+\(?\s*([\w\s,]+)")
PLAIN_IMPORT = re.compile(r"^\s*import\s+([\w.\s,]+)")
PARTIAL_MODULE = re.compile(r"partially initialized module '([^']+)'")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*[A-Za-z0-9_]|[A-Za-z_]")


@check("MC301", "MC302", "MC303", "MC304", "MC305", reads=(*ROOT_CAUSE_CODES, "MC102"))
def probe_failures(ctx: CheckContext, probe: ProbeResult) -> list[Finding]:
    return classify_probe(probe, ctx.wheel, ctx.earlier, ctx.analysis)


def classify_probe(
    probe: ProbeResult,
    wheel: WheelContents,
    earlier: Iterable[Finding] = (),
    analysis: StaticAnalysis | None = None,
) -> list[Finding]:
    """Exactly one finding per module that did not import, in module-name order."""
    facts = Facts(probe, wheel, tuple(earlier), analysis)
    failed = sorted(name for name, result in probe.modules.items() if result.status != "ok")
    findings = {name: classify_module(probe.modules[name], facts) for name in failed}
    _resolve_siblings(findings, probe, facts)
    return group_by_cause([findings[name] for name in failed])


GROUP_AT = 3  # this many modules failing for one cause are reported as one finding


def group_by_cause(findings: list[Finding]) -> list[Finding]:
    """One MC301 per root cause: when a removed or undeclared module (or one earlier finding) makes
    many modules fail, the first of them carries the finding and names the others in ``affects``."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = _cause_key(finding)
        if key is not None:
            groups.setdefault(key, []).append(finding)
    merged: dict[int, Finding] = {}
    dropped: set[int] = set()
    for members in groups.values():
        if len(members) < GROUP_AT:
            continue
        first, rest = members[0], members[1:]
        others = [f.path for f in rest if f.path]
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        merged[id(first)] = replace(
            first,
            affects=tuple(others),
            message=f"{first.message}; {len(others)} more modules fail the same way: {shown}",
        )
        dropped.update(id(f) for f in rest)
    return [merged.get(id(f), f) for f in findings if id(f) not in dropped]


def _cause_key(finding: Finding) -> str | None:
    """What makes failures "the same": the root cause they cite, the third-party module they lack,
    or (MC305) the module of the import cycle they met half-initialised."""
    if finding.code == "MC305":
        partial = PARTIAL_MODULE.search(finding.message)
        return f"cycle {partial.group(1)}" if partial else None
    if finding.code != "MC301":
        return None
    missing = NO_MODULE.search(finding.message)
    if missing is not None:
        return f"missing {missing.group(1)}"
    hint = finding.hint or ""
    return hint[hint.index("root cause") :] if "root cause" in hint else None


def classify_module(result: ModuleResult, facts: Facts) -> Finding:
    if result.import_order is not None and result.error is not None:
        return _order_dependent(result.name, result.import_order, result.error)
    if result.status == "timeout":
        return _timeout(result)
    if (
        result.status == "exited"
        and (extra := extra_named_in(result.output_tail, facts.wheel)) is not None
    ):
        return Finding(
            "MC304",
            result.name,
            f"{result.name} exits when imported without the optional extra "
            f"[{extra}], and says so: {_last_output(result).removeprefix('; last output: ')}",
            hint=f"pip install '{facts.wheel.name}[{extra}]'",
            kind="module",
        )
    if result.status == "exited" and is_test_code(result.name):
        # A test or check script shipped in the package that runs (and exits) when imported.
        return Finding(
            "MC304",
            result.name,
            f"{result.name} is test tooling that exits when imported (code {result.exit_code})",
            hint="expected if only the test suite runs this module",
            kind="module",
        )
    if result.status in ("exited", "crashed"):
        return _exited(result)
    if result.error is None:
        return Finding(
            "MC301",
            result.name,
            f"importing {result.name} failed without an exception report",
            kind="module",
        )
    if (
        _static_cause(result.error, facts) is not None
    ):  # a known defect is never an "expected" failure
        return _raised(result.name, result.error, facts)
    return expected_failure(result.name, result.error, facts) or _raised(
        result.name, result.error, facts
    )


STATIC_CAUSE_CODES = ("MC107", "MC202", "MC204", "MC205", "MC206")


def _static_cause(error: ExceptionInfo, facts: Facts) -> Finding | None:
    """A static finding (undeclared dependency, unshipped first-party module, undefined name) at exactly
    the file and line the import raised from."""
    for frame in reversed(error.frames):
        rel = facts.in_wheel(frame.file)
        if rel is None:
            continue
        for finding in facts.earlier:
            if (
                finding.code in STATIC_CAUSE_CODES
                and finding.path == rel
                and finding.line == frame.line
            ):
                return finding
    return None


# --- the facts every classification needs ------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    probe: ProbeResult
    wheel: WheelContents
    earlier: tuple[Finding, ...]
    analysis: StaticAnalysis | None = None

    @cached_property
    def extras(self) -> dict[str, str]:
        return self.wheel.extra_requirements()

    @cached_property
    def first_party(self) -> frozenset[str]:
        return frozenset(self.wheel.top_level_names)

    @cached_property
    def marker_env(self) -> dict[str, str]:
        """Marker variables of the probed interpreter (it may differ from the one running mcheck)."""
        env = dict(default_environment())
        system = {"win32": "Windows", "darwin": "Darwin", "cygwin": "CYGWIN"}.get(
            self.probe.platform, "Linux"
        )
        version = self.probe.python_version
        env.update(
            sys_platform=self.probe.platform,
            platform_system=system,
            python_full_version=version,
            os_name="nt" if self.probe.platform == "win32" else "posix",
            python_version=".".join(version.split(".")[:2]),
        )
        return env

    @cached_property
    def other_environments(self) -> dict[str, Requirement]:
        """Canonical name -> requirement, for dependencies declared only for other platforms or Pythons."""
        found: dict[str, Requirement] = {}
        for req in self.wheel.requirements:
            name = canonicalize_name(req.name)
            if req.marker is None or name in self.extras:
                continue
            if not any(self._holds(req, extra) for extra in ("", *self.wheel.extras)):
                found.setdefault(name, req)
        runtime = {canonicalize_name(r.name) for r in self.wheel.requirements if self._holds(r, "")}
        return {name: req for name, req in found.items() if name not in runtime}

    def is_runtime_dependency(self, dists: Iterable[str]) -> bool:
        runtime = {canonicalize_name(r.name) for r in self.wheel.requirements if self._holds(r, "")}
        return bool(runtime & set(dists))

    def _holds(self, req: Requirement, extra: str) -> bool:
        if req.marker is None:
            return True
        try:
            return req.marker.evaluate({**self.marker_env, "extra": extra})
        except Exception:  # an unknown marker variable: treat as not applying here
            return False

    @cached_property
    def site_dirs(self) -> tuple[str, ...]:
        """The probe's sys.path entries, longest first, as ``/``-terminated posix prefixes."""
        dirs = {_posix(entry).rstrip("/") + "/" for entry in self.probe.sys_path if entry}
        return tuple(sorted(dirs, key=len, reverse=True))

    def relative(self, file: str) -> str | None:
        """``file`` relative to the sys.path entry it was imported from, when there is one."""
        posix = _posix(file)
        for prefix in self.site_dirs:
            if posix.startswith(prefix):
                return posix[len(prefix) :]
        return None

    def in_wheel(self, file: str) -> str | None:
        """The wheel-relative path of ``file`` when it is one of the wheel's shipped files."""
        rel = self.relative(file)
        if rel is not None and (
            rel in self.wheel.installed_files or rel.split("/", 1)[0] in self.first_party
        ):
            return rel
        return None


def _posix(path: str) -> str:
    return path.replace("\\", "/")


# --- MC304: failures with an expected cause ----------------------------------------------------------


def expected_failure(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """An MC304 finding when the failure has an expected cause, else None."""
    for rule in (
        _optional_extra,
        _extra_named_by,
        _other_platform,
        _dev_tooling,
        _needs_configuration,
        _integration,
        _asks_to_install,
        _extra_only_file,
        _imported_only_conditionally,
        _test_code_outside_its_run,
        _template_file,
        _vendored,
    ):
        finding = rule(module, error, facts)
        if finding is not None:
            return finding
    return None


def _exceptions(error: ExceptionInfo) -> tuple[ExceptionInfo, ...]:
    return (error, *error.chain)


def missing_modules(error: ExceptionInfo) -> list[str]:
    """Modules reported as not found by the exception or its chain, nearest first."""
    found: list[str] = []
    for exc in _exceptions(error):
        match = NO_MODULE.search(exc.message)
        name = match.group(1) if match else None
        if name is None and exc.missing_name and _short_type(exc) == "ModuleNotFoundError":
            name = exc.missing_name
        if name and name not in found:
            found.append(name)
    return found


def specific_missing_modules(error: ExceptionInfo) -> list[str]:
    """:func:`missing_modules`, made as specific as the raising import statement allows (for telling
    which distribution was wanted; the result may end in an attribute name, not a module)."""
    frames = [exc.raising_frame for exc in _exceptions(error)]
    refined = [_refine(name, frame) for name in missing_modules(error) for frame in frames]
    return list(dict.fromkeys(refined + missing_modules(error)))


def _refine(name: str, frame: Frame | None) -> str:
    """The most specific module the raising import statement names inside ``name``: a missing namespace
    ``google`` from ``from google.protobuf import message`` is really ``google.protobuf``."""
    if frame is None:
        return name
    targets = [
        n.strip() for m in PLAIN_IMPORT.finditer(frame.source) for n in m.group(1).split(",")
    ]
    for match in FROM_IMPORT.finditer(frame.source):
        targets += [f"{match.group(1)}.{n.strip()}" for n in match.group(2).split(",") if n.strip()]
        targets.append(match.group(1))
    inside = [t.split(" as ")[0].strip() for t in targets]
    inside = [t for t in inside if t.startswith(name + ".")]
    return min(inside, key=len) if inside else name


def _short_type(exc: ExceptionInfo) -> str:
    return exc.type.rsplit(".", 1)[-1]


def _mentioned_names(error: ExceptionInfo) -> list[str]:
    """Words of ImportError-like messages ("jinja2 must be installed", "pip install pkg[extra]")."""
    words: list[str] = []
    for exc in _exceptions(error):
        if "Import" in exc.type or "ModuleNotFound" in exc.type or "install" in exc.message.lower():
            words.extend(w for w in TOKEN.findall(exc.message) if w not in words)
    return words


def _provides(dist: str, module: str) -> bool:
    """Would ``dist`` (canonical) install ``module`` (dotted)? ``protobuf`` installs ``google.protobuf`` but
    not every ``google``: a missing namespace says nothing about which of its distributions is wanted."""
    return any(
        module == name or module.startswith(name + ".")
        for name in import_names_for_distribution(dist)
    )


def _related(name: str, module: str) -> bool:
    """Same module, or one is inside the other (``google`` vs ``google.protobuf``)."""
    return name == module or module.startswith(name + ".") or name.startswith(module + ".")


def _candidate_dists(module: str, dists: Iterable[str]) -> list[str]:
    """Which of ``dists`` (canonical names) would provide ``module``."""
    guesses = {*distributions_for_import(module), canonicalize_name(module.split(".", 1)[0])}
    return [d for d in dists if d in guesses or _provides(d, module)]


def _optional_extra(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    if not facts.extras:
        return None
    missing = specific_missing_modules(error)
    candidates = [m for m in missing if m.split(".", 1)[0] not in facts.first_party]
    if not missing:  # a custom message naming the dependency instead of a ModuleNotFoundError
        candidates = [
            w for w in _mentioned_names(error) if w.split(".", 1)[0] not in facts.first_party
        ]
    for name in candidates:
        for dist in _candidate_dists(name, facts.extras) or _candidate_dists(
            name.lower(), facts.extras
        ):
            extra = facts.extras[dist]
            return Finding(
                "MC304",
                module,
                f"{module} needs the optional extra [{extra}] ({dist} provides "
                f"{name}): {_describe(error)}",
                hint=f"pip install '{facts.wheel.name}[{extra}]'",
                kind="module",
            )
    return None


def _extra_named_by(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """A module named like an extra that installs the distribution of the same name
    (``celery.concurrency.eventlet``, extra ``eventlet = ["eventlet"]``) is the integration with it.
    A third-party module it lacks comes with that distribution's own dependencies (eventlet brings
    greenlet), which mcheck cannot see without installing the extra."""
    integrated = facts.wheel.extras_named_after_their_distribution()
    parts = [canonicalize_name(part.strip("_")) for part in module.split(".")[1:]]
    extra = next((integrated[part] for part in parts if part in integrated), None)
    if extra is None:
        return None
    for name in specific_missing_modules(error):
        top = name.split(".", 1)[0]
        if top in facts.first_party or facts.is_runtime_dependency(distributions_for_import(name)):
            continue
        return Finding(
            "MC304",
            module,
            f"{module} is the integration with {extra}, which the optional extra [{extra}] "
            f"requires, and needs {top}, which the wheel does not declare: a dependency of "
            f"{extra}, presumably (install the extra to check): {_describe(error)}",
            hint=f"pip install '{facts.wheel.name}[{extra}]'",
            kind="module",
        )
    return None


def _other_platform(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    # `from six.moves import winreg` raises "cannot import name 'winreg'": as platform-bound as the module.
    unimportable = [
        m.group(1)
        for exc in _exceptions(error)
        if (m := CANNOT_IMPORT.search(exc.message)) and m.group(1) in PLATFORM_MODULES
    ]
    for name in missing_modules(error) + unimportable:
        toolkit = HOST_GUI_BINDINGS.get(name.split(".", 1)[0])
        if toolkit is not None:
            return Finding(
                "MC304",
                module,
                f"{module} is desktop GUI support: it needs {name}, the bindings of {toolkit}, "
                "which the desktop's own packages provide, not the package index",
                hint=f"expected if only programs that run under {toolkit} import it",
                kind="module",
            )
        reason = _platform_reason(name, facts)
        if reason is not None:
            return Finding(
                "MC304",
                module,
                f"{module} is for another platform: it needs {name}, {reason}",
                hint=_platform_hint(facts),
                kind="module",
            )
    for exc in _exceptions(error):
        frame = exc.raising_frame
        text = f"{exc.message}\n{frame.source if frame else ''}"
        if _short_type(exc) in PLATFORM_GUARD_TYPES and PLATFORM_WORDS.search(text):
            where = f" at {_frame_text(frame, facts)}" if frame else ""
            return Finding(
                "MC304",
                module,
                f"{module} is for another platform: {_describe(exc)}{where}",
                hint=_platform_hint(facts),
                kind="module",
            )
    return None


def _platform_reason(name: str, facts: Facts) -> str | None:
    top = name.split(".", 1)[0]
    if top in PLATFORM_MODULES:
        return f"which exists only on {PLATFORM_MODULES[top]}"
    if top in HOST_GUI_BINDINGS:
        return (
            f"the GUI bindings of {HOST_GUI_BINDINGS[top]}, which a desktop provides, not the index"
        )
    if name == top and top in facts.probe.stdlib_module_names and top not in REMOVED_STDLIB:
        return "a standard-library module this interpreter does not have (platform-specific or not built)"
    for dist, req in facts.other_environments.items():
        if _provides(dist, name) or dist in distributions_for_import(name):
            return f"declared only for other environments ({req})"
    return None


def _platform_hint(facts: Facts) -> str:
    return (
        f"expected on {facts.probe.platform} (Python {facts.probe.python_version}) if the module is "
        "only imported on the platform it is meant for"
    )


def is_test_code(module: str) -> bool:
    """Is ``module`` (dotted) part of a test suite shipped inside the package?"""
    return any(TEST_MODULE.match(part) for part in module.split("."))


def plugin_tools(module: str) -> frozenset[str]:
    """The tools a module named like a plugin of theirs may import without depending on them
    (``pkg.mypy_plugin`` -> mypy, ``aiohttp.worker`` -> gunicorn, which loads its workers)."""
    parts = [part.lower() for part in module.split(".")]
    return frozenset(
        tool
        for keyword, allowed in TOOL_PLUGINS.items()
        if any(keyword in part for part in parts)
        for tool in allowed
    )


def _dev_tooling(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    tools = plugin_tools(module)
    tests = is_test_code(module)
    for name in missing_modules(error):
        top = name.split(".", 1)[0]
        # Tests need their own dependencies (pytest, mock, hypothesis ...): anything that is neither
        # first-party nor a runtime dependency is a test dependency there.
        test_dependency = (
            tests
            and top not in facts.first_party
            and not facts.is_runtime_dependency(distributions_for_import(name))
        )
        if test_dependency or (top in tools and tests):
            return Finding(
                "MC304",
                module,
                f"{module} is developer tooling: it needs {top}, which is not a runtime dependency",
                hint="expected if only tests or tools import this module",
                kind="module",
            )
        if top in tools:
            return Finding(
                "MC304",
                module,
                f"{module} is a plugin of {top}: it needs {top}, which is not a runtime dependency",
                hint=f"expected if only {top} loads this module",
                kind="module",
            )
    return None


def _test_code_outside_its_run(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """A shipped test or benchmark module that raises when imported on its own: it reads what its
    test run provides (a fixture directory, an environment variable, a terminal, globals a plugin
    injects) or raises on purpose (Twisted's reflect_helper_ZDE). The suite's business, not the
    package's API; a first-party module it cannot find stays an error (a dropped file)."""
    if not is_test_code(module):
        return None
    if any(name.split(".", 1)[0] in facts.first_party for name in missing_modules(error)):
        return None
    return Finding(
        "MC304",
        module,
        f"{module} is test code that does not import outside its test run: {_describe(error)}",
        hint="expected if only the test suite imports it (mcheck wheel --tests runs the suite)",
        kind="module",
    )


_UNDEFINED_NAME = re.compile(r"name '([^']+)' is not defined")
# "`pip install starlette`": a module that raises telling the user what to install treats it as optional.
_PIP_INSTALL = re.compile(r"\bpip3? install\s+[`'\"]?([A-Za-z0-9][A-Za-z0-9_.\-]*)")


def _asks_to_install(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """An ImportError whose own message tells the user to ``pip install`` a third-party package
    (jsonbourne.fastapi: "starlette not found/installed; `pip install starlette`"): the module
    was written to need it only when used. A package of this wheel, or a runtime dependency,
    named that way is still an error."""
    if _short_type(error) not in ("ImportError", "ModuleNotFoundError"):
        return None
    match = _PIP_INSTALL.search(error.message)
    if match is None:
        return None
    wanted = canonicalize_name(match.group(1))
    if wanted in {canonicalize_name(n) for n in facts.first_party} or facts.is_runtime_dependency(
        (wanted,)
    ):
        return None
    return Finding(
        "MC304",
        module,
        f"{module} needs {match.group(1)}, which it asks the user to install: {_describe(error)}",
        hint=f"expected if {match.group(1)} is optional; an extra in "
        "[project.optional-dependencies] documents it",
        kind="module",
    )


def _vendored(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """Vendored upstream code (pip's ``_vendor/pygments``, trimmed to the lexers pip uses): a
    module of it that the package never imports may lack what the trimming removed. A dropped file
    of the source tree is still reported first, as MC101 with this failure linked."""
    parts = module.split(".")
    vendor = next((p for p in parts[:-1] if p in VENDOR_DIRS), None)
    if vendor is None:
        return None
    upstream = ".".join(parts[: parts.index(vendor) + 2])
    return Finding(
        "MC304",
        module,
        f"{module} is part of the vendored copy {upstream}, which the package may have trimmed "
        f"to what it uses: {_describe(error)}",
        hint="expected if the package never imports this module of its vendored copy",
        kind="module",
    )


def _template_file(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """A file shipped as a template that a tool fills in before running it (virtualenv's
    ``activate_this.py`` reads ``__BIN_NAME__``): importing the shipped copy is not how it is used."""
    match = _UNDEFINED_NAME.search(error.message) if _short_type(error) == "NameError" else None
    if match is None or not TEMPLATE_PLACEHOLDER.match(match.group(1)):
        return None
    return Finding(
        "MC304",
        module,
        f"{module} is a template: the placeholder {match.group(1)} is filled in by the tool that "
        f"copies it before it runs ({_describe(error)})",
        hint="expected if the package renders this file rather than importing it",
        kind="module",
    )


def _needs_configuration(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    for exc in _exceptions(error):
        needed = NEEDS_CONFIGURATION.get(exc.type)
        if needed is not None:
            return Finding(
                "MC304",
                module,
                f"{module} can only be imported inside {needed}: {_describe(exc)}",
                hint="expected for modules of a framework application imported on their own",
                kind="module",
            )
    return None


def _integration(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """A module named after the third-party package it needs (``pkg.contrib.pyopenssl`` needing
    ``OpenSSL``) or inside an ``integrations``/``contrib`` package is an optional integration by design,
    even when the dependency is not declared as an extra. Runtime dependencies never qualify."""
    parts = {part.strip("_").lower() for part in module.split(".")[1:]}
    for name in specific_missing_modules(error):
        top = name.split(".", 1)[0]
        dists = distributions_for_import(name)
        if top in facts.first_party or facts.is_runtime_dependency(dists):
            continue
        named = {top.lower(), *(d.replace("-", "_") for d in dists)}
        if parts & INTEGRATION_PACKAGES or any(
            named_after(part, name) for part in parts for name in named
        ):
            return Finding(
                "MC304",
                module,
                f"{module} is an optional integration with {top}, which the wheel "
                f"does not depend on: {_describe(error)}",
                hint=f"users install {dists[0]} to use it; declaring it as an extra in "
                "[project.optional-dependencies] documents that",
                kind="module",
            )
    return None


# How modules named after a dependency differ from its name: `sphinxext` (sphinx), `_greenlets` (greenlet),
# `smb` (smbclient). Not any prefix: `openssl_utils` is a module of one's own that uses OpenSSL.
_MODULE_SUFFIXES = ("", "s", "ext", "_ext", "_support", "_compat", "_plugin", "_integration")
_DEPENDENCY_SUFFIXES = ("client", "_client", "lib", "py")


def named_after(part: str, dependency: str) -> bool:
    """Is the module-name ``part`` named after ``dependency`` (both lower case)?"""
    part = part.strip("_")
    return any(part == dependency + suffix for suffix in _MODULE_SUFFIXES) or any(
        dependency == part + suffix for suffix in _DEPENDENCY_SUFFIXES
    )


def extra_named_in(output: str, wheel: WheelContents) -> str | None:
    """An extra of ``wheel`` that ``output`` tells the user to install (``pip install "pkg[cli]"``)."""
    name = re.escape(wheel.name).replace(r"\-", "[-_.]").replace(r"\_", "[-_.]")
    for match in re.finditer(rf"{name}\[([\w,\s-]+)\]", output, re.IGNORECASE):
        extra = next(
            (e for e in wheel.extras if e in match.group(1).replace(" ", "").split(",")), None
        )
        if extra is not None:
            return extra
    return None


def _extra_only_file(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """The import raised in a shipped file that unconditionally imports a dependency declared only in an
    extra: the file works only with that extra, whose own dependencies (``requests`` brings ``urllib3``)
    are not installed either."""
    if facts.analysis is None or not missing_modules(error):
        return None
    raising = {
        rel
        for exc in _exceptions(error)
        if exc.raising_frame and (rel := facts.in_wheel(exc.raising_frame.file)) is not None
    }
    for site in facts.analysis.imports:
        if site.path not in raising or not site.module_level or site.guarded or site.level:
            continue
        for dist in _candidate_dists(site.target, facts.extras):
            extra = facts.extras[dist]
            return Finding(
                "MC304",
                module,
                f"{module} needs the optional extra [{extra}]: {site.path} imports "
                f"{site.top_level} ({dist}): {_describe(error)}",
                hint=f"pip install '{facts.wheel.name}[{extra}]'",
                kind="module",
            )
    return None


def _imported_only_conditionally(module: str, error: ExceptionInfo, facts: Facts) -> Finding | None:
    """The package itself imports ``module`` only under a guard (a version or platform check, a try/except
    ImportError): it is not meant to import everywhere (``pexpect._async_pre_await`` on Python < 3.6)."""
    if facts.analysis is None:
        return None
    sites = [
        s
        for s in facts.analysis.imports
        if s.target == module
        or (module.startswith(s.target + ".") and module.rsplit(".", 1)[-1] in s.names)
    ]
    if not sites or not all(s.guarded for s in sites):
        return None
    importer = sites[0]
    return Finding(
        "MC304",
        module,
        f"{module} is imported only conditionally ({importer.path}:{importer.line}) "
        f"and does not import here: {_describe(error)}",
        hint="expected if the guard that imports it is false on this interpreter or platform",
        kind="module",
    )


def _resolve_siblings(findings: dict[str, Finding], probe: ProbeResult, facts: Facts) -> None:
    """MC301 -> MC304 when the module fails only because a first-party module it needs is optional."""
    expected = {f.path for f in facts.earlier if f.code == "MC304" and f.path}
    changed = True
    while changed:
        changed = False
        expected |= {name for name, f in findings.items() if f.code == "MC304"}
        for name, finding in findings.items():
            error = probe.modules[name].error
            if finding.code != "MC301" or error is None:
                continue
            needed = _needed_first_party(error, facts)
            # Directional: needing `demo._main.core` when `demo._main` is optional, not the reverse.
            cause = next(
                (
                    e
                    for e in sorted(expected)
                    if any(n == e or n.startswith(e + ".") for n in needed)
                ),
                None,
            )
            if cause is not None:
                findings[name] = Finding(
                    "MC304",
                    name,
                    f"{name} needs {cause}, which is optional here: {_describe(error)}",
                    hint=f"see the MC304 finding for {cause}",
                    kind="module",
                )
                changed = True


def _needed_first_party(error: ExceptionInfo, facts: Facts) -> list[str]:
    names = missing_modules(error) + _mentioned_names(error)
    names += [m.group(2) for exc in _exceptions(error) if (m := CANNOT_IMPORT.search(exc.message))]
    return [n for n in names if n.split(".", 1)[0] in facts.first_party]


# --- MC301/MC302/MC303 ---------------------------------------------------------------------------------


def _order_dependent(module: str, order: ImportOrder, error: ExceptionInfo) -> Finding:
    """MC305: failed alone on a circular import, imported after the rest of its package."""
    if order.loaded_by is not None:
        works = f"it imports when `{order.loaded_by}` is imported first (that import loads it)"
        hint = f"expected if programs import `{order.loaded_by}` (or the package's API) first"
    else:
        works = f"it imports after the other modules of `{order.package}` are imported"
        hint = f"expected if programs import `{order.package}`'s API modules first"
    return Finding(
        "MC305",
        module,
        f"{module} fails when imported alone, first: {_describe(error)}; {works}",
        hint=f"{hint}; code that imports {module} first fails the same way",
        kind="module",
    )


def _raised(module: str, error: ExceptionInfo, facts: Facts) -> Finding:
    frame = _display_frame(error, facts)
    where = f" ({_frame_text(frame, facts)})" if frame else ""
    return Finding(
        "MC301",
        module,
        f"importing {module} raised {_describe(error)}{where}",
        hint=_root_cause_hint(error, frame, facts),
        kind="module",
    )


def _describe(error: ExceptionInfo) -> str:
    first_line = error.message.strip().splitlines()[0] if error.message.strip() else ""
    if len(first_line) > 200:
        first_line = first_line[:197] + "..."
    return f"{error.type}: {first_line}" if first_line else error.type


def _display_frame(error: ExceptionInfo, facts: Facts) -> Frame | None:
    """The innermost frame in the wheel's own files, else the raising frame."""
    for frame in reversed(error.frames):
        if facts.in_wheel(frame.file):
            return frame
    return error.raising_frame


def _frame_text(frame: Frame, facts: Facts) -> str:
    return f"{facts.relative(frame.file) or frame.file}:{frame.line}"


def _root_cause_hint(error: ExceptionInfo, frame: Frame | None, facts: Facts) -> str | None:
    static = _static_cause(error, facts)
    if static is not None:
        return f"root cause: {_cite(static)}"
    removed = _removed_by_interpreter(error, facts)
    if removed is not None:
        return removed
    dropped = _dropped_file_read(error, facts)
    if dropped is not None:
        return f"root cause: {_cite(dropped)}"
    missing = missing_modules(error)
    if missing:
        return _missing_module_hint(missing[0], facts)
    cannot = CANNOT_IMPORT.search(error.message)
    if cannot is not None:
        name, source = cannot.groups()
        cause = _earlier_for(source, facts, codes=("MC103", "MC101"))
        if cause is not None:
            return f"`{source}` does not define `{name}`; root cause: {_cite(cause)}"
        if "partially initialized module" in error.message:
            return f"circular import: `{source}` is still being imported when `{name}` is needed"
        return _resolved_version_lacks(name, source, facts)
    if frame is not None and (rel := facts.in_wheel(frame.file)) is not None:
        cause = next(
            (
                f
                for f in facts.earlier
                if f.code in ROOT_CAUSE_CODES and f.path == rel and f.line in (None, frame.line)
            ),
            None,
        )
        if cause is not None:
            return f"root cause: {_cite(cause)}"
    return None


def _resolved_version_lacks(name: str, source: str, facts: Facts) -> str | None:
    """``cannot import name 'X' from 'dep.mod'`` where a dependency provides ``dep``: the version
    a fresh install resolved lacks the name, and the declared range let it in (Scrapy 2.13.3
    declares Twisted>=21.7.0 and imports names that newer Twisted releases removed)."""
    top = source.split(".", 1)[0]
    if top in facts.first_party:
        return None
    installed = facts.probe.distributions_providing(top)
    if not installed:
        return None
    dist = installed[0]
    declared = [
        str(r)
        for r in facts.wheel.requirements
        if canonicalize_name(r.name) == canonicalize_name(dist.name)
    ]
    admits = f"the declared `{declared[0]}` admits it" if declared else "it is not declared at all"
    return (
        f"{dist.name} {dist.version}, the version a fresh install resolves, has no `{name}` in "
        f"`{source}` and {admits}: cap the range below the release that removed it, or stop "
        f"importing `{name}`"
    )


def _removed_by_interpreter(error: ExceptionInfo, facts: Facts) -> str | None:
    """The interpreter itself is the cause: the module or name is one its release removed from the
    standard library (``imp`` on 3.12, ``collections.Mapping`` on 3.10, ``asyncio.coroutine`` on 3.11)."""
    removal = None
    missing = missing_modules(error)
    cannot = CANNOT_IMPORT.search(error.message)
    attribute = (
        NO_ATTRIBUTE.search(error.message) if error.type.endswith("AttributeError") else None
    )
    if missing:
        removal = removed_by_python(missing[0])
    elif cannot is not None:
        removal = removed_by_python(cannot.group(2), (cannot.group(1),))
    elif attribute is not None:
        removal = removed_by_python(attribute.group(1), (attribute.group(2),))
    running = tuple(int(part) for part in facts.probe.python_version.split(".")[:2])
    if removal is None or running < removal[1]:
        return None
    what, removed_in, instead = removal
    gone, last = f"3.{removed_in[1]}", f"3.{removed_in[1] - 1}"
    return (
        f"not the package: Python {gone} removed it from the standard library (this is "
        f"{facts.probe.python_version}); {what} works on Python {last} and older only: use {instead}"
    )


def _dropped_file_read(error: ExceptionInfo, facts: Facts) -> Finding | None:
    """A file the module reads at import time (``FileNotFoundError: '.../pkg/data/x.json'``) that an
    earlier finding says the wheel dropped."""
    if not error.type.endswith(("FileNotFoundError", "OSError", "IOError")):
        return None
    return next(
        (
            f
            for f in facts.earlier
            if f.code in ("MC101", "MC102")
            and f.path
            and re.search(rf"(?:^|[/'\"\s]){re.escape(f.path)}['\"]?(?:$|\s)", error.message)
        ),
        None,
    )


def _missing_module_hint(name: str, facts: Facts) -> str:
    top = name.split(".", 1)[0]
    cause = _earlier_for(name, facts, codes=ROOT_CAUSE_CODES)
    if top in facts.first_party:
        text = f"`{name}` is not in the wheel"
        if cause is not None:
            return f"{text}; root cause: {_cite(cause)}"
        return (
            f"{text}; see MC101 for the file that was dropped (a directory without `__init__.py`?)"
        )
    if cause is not None:
        return f"root cause: {_cite(cause)}"
    if top in REMOVED_STDLIB:
        return f"`{top}` was removed from the standard library in Python {REMOVED_STDLIB[top]}"
    dists = " or ".join(f"`{d}`" for d in distributions_for_import(name))
    return (
        f"no installed distribution provides `{top}`; declare the one that does (probably {dists}) in "
        "[project.dependencies]"
    )


def _earlier_for(module: str, facts: Facts, *, codes: tuple[str, ...]) -> Finding | None:
    """An earlier finding (of ``codes``) about ``module``, a module inside it, or a package around it."""
    for finding in facts.earlier:
        if finding.code in codes and finding.path and _related(_as_module(finding.path), module):
            return finding
    return None


def _as_module(path: str) -> str:
    """Finding paths are files (``pkg/a/b.py``), dotted modules or import names: make them dotted."""
    if "/" in path or path.endswith((".py", ".so", ".pyd")):
        return module_name_for(path) or path.rstrip("/").replace("/", ".")
    return path


def _cite(finding: Finding) -> str:
    line = f":{finding.line}" if finding.line else ""
    return f"{finding.code} {finding.path}{line}"


def _timeout(result: ModuleResult) -> Finding:
    return Finding(
        "MC302",
        result.name,
        f"importing {result.name} did not finish within {result.seconds:.0f} s"
        f"{_last_output(result)}",
        hint="move blocking work (network, locks, loops, input()) out of module level",
        kind="module",
    )


def _exited(result: ModuleResult) -> Finding:
    if result.status == "crashed":
        what = f"was killed by signal {_signal_name(result.signal)}"
        hint = "a crash in an extension module or an abort() during import"
    else:
        what = f"exited with code {result.exit_code}"
        hint = (
            "the module calls sys.exit() or os._exit() at import time; guard it with "
            '`if __name__ == "__main__":`'
        )
    return Finding(
        "MC303",
        result.name,
        f"importing {result.name} {what}{_last_output(result)}",
        hint=hint,
        kind="module",
    )


def _signal_name(number: int | None) -> str:
    if number is None:
        return "(unknown)"
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _last_output(result: ModuleResult) -> str:
    lines = [line.strip() for line in result.output_tail.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1] if len(lines[-1]) <= 160 else lines[-1][:157] + "..."
    return f"; last output: {last}"
