"""MC202 (import no declared dependency provides) and MC203 (import only a transitive dependency provides)."""

from __future__ import annotations

import difflib
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcheck.analysis.model import ImportSite, StaticAnalysis
from mcheck.checks import CheckContext, check
from mcheck.checks.first_party import ProjectModules, project_modules, shipped_top_levels
from mcheck.checks.import_failures import is_test_code, named_after, plugin_tools
from mcheck.findings import Finding, Fix
from mcheck.fix.declare import declare_dependency
from mcheck.knowledge.conventions import INTEGRATION_PACKAGES, VENDOR_DIRS
from mcheck.knowledge.import_names import distributions_for_import, import_names_for_distribution
from mcheck.knowledge.platforms import HOST_GUI_BINDINGS, PLATFORM_MODULES
from mcheck.knowledge.python_versions import STDLIB_MODULES_ADDED, STDLIB_MODULES_REMOVED
from mcheck.probes.protocol import Distribution, ProbeResult
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import Project
from mcheck.wheel.local_deps import WorkspaceMember

# Standard-library modules of a release other than the probed one: their imports are MC205 (newer
# than the floor) and MC206 (removed since), never an undeclared dependency.
OTHER_VERSIONS_STDLIB = frozenset(
    name.split(".")[0] for name in (*STDLIB_MODULES_ADDED, *STDLIB_MODULES_REMOVED)
)

# Modules of Python 2 (or of Python 3 releases long gone) that no distribution provides: imports of
# them sit in compatibility branches (`except ImportError: import dummy_threading`, `else: import StringIO`).
FORMER_STDLIB = frozenset(
    {
        "__builtin__",
        "_dummy_thread",
        "BaseHTTPServer",
        "CGIHTTPServer",
        "ConfigParser",
        "Cookie",
        "DocXMLRPCServer",
        "HTMLParser",
        "Queue",
        "SimpleHTTPServer",
        "SimpleXMLRPCServer",
        "SocketServer",
        "StringIO",
        "Tkinter",
        "UserDict",
        "UserList",
        "UserString",
        "anydbm",
        "cPickle",
        "cStringIO",
        "commands",
        "cookielib",
        "copy_reg",
        "dbhash",
        "dummy_thread",
        "dummy_threading",
        "exceptions",
        "htmlentitydefs",
        "httplib",
        "md5",
        "new",
        "popen2",
        "repr",
        "robotparser",
        "sets",
        "sha",
        "thread",
        "tkMessageBox",
        "urllib2",
        "urlparse",
        "whichdb",
        "xmlrpclib",
    }
)


@dataclass(frozen=True)
class DependencyGraph:
    """What a plain ``pip install`` of the wheel pulls in, as seen in the probed venv."""

    direct: frozenset[str]  # canonical names of the runtime requirements
    optional: frozenset[str]  # canonical names declared only under an extra
    # canonical name -> display chain from a direct dependency ("httpx -> idna"), transitive ones only
    transitive: dict[str, str]
    installed: dict[str, Distribution]  # canonical name -> distribution
    # canonical names declared for other platforms or Pythons only (`cffi; os_name == "nt"`)
    elsewhere: frozenset[str] = frozenset()


def dependency_graph(wheel: WheelContents, probe: ProbeResult) -> DependencyGraph:
    installed = {canonicalize_name(d.name): d for d in probe.distributions}
    roots = [(canonicalize_name(r.name), frozenset(r.extras)) for r in wheel.runtime_requirements]
    direct = frozenset(name for name, _ in roots)
    chains = _walk(roots, installed, _marker_environment(probe))
    transitive = {name: chain for name, chain in chains.items() if name not in direct}
    elsewhere = (
        frozenset(
            canonicalize_name(r.name)
            for r in wheel.requirements
            if r.marker is not None and "extra" not in str(r.marker)
        )
        - direct
    )
    return DependencyGraph(
        direct=direct,
        optional=frozenset(wheel.extra_requirements()) - direct,
        transitive=transitive,
        installed=installed,
        elsewhere=elsewhere,
    )


def _walk(
    roots: list[tuple[str, frozenset[str]]],
    installed: dict[str, Distribution],
    environment: dict[str, str],
) -> dict[str, str]:
    """Breadth first from the direct dependencies, so each distribution gets its shortest chain."""
    chains: dict[str, str] = {}
    queue = deque((name, extras, _display(name, installed)) for name, extras in roots)
    visited: set[tuple[str, frozenset[str]]] = set()
    while queue:
        name, extras, chain = queue.popleft()
        if (name, extras) in visited:
            continue
        visited.add((name, extras))
        chains.setdefault(name, chain)
        dist = installed.get(name)
        for req in _active_requirements(dist, extras, environment) if dist is not None else ():
            child = canonicalize_name(req.name)
            queue.append((child, frozenset(req.extras), f"{chain} -> {_display(child, installed)}"))
    return chains


def _active_requirements(
    dist: Distribution, extras: frozenset[str], environment: dict[str, str]
) -> Iterator[Requirement]:
    """Requirements of ``dist`` a plain install brings, plus those of the extras it was asked for."""
    for raw in dist.requires:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        if req.marker is None or any(
            _marker_holds(req, environment, extra) for extra in ("", *extras)
        ):
            yield req


def _marker_holds(req: Requirement, environment: dict[str, str], extra: str) -> bool:
    assert req.marker is not None
    try:
        return req.marker.evaluate({**environment, "extra": extra})
    except Exception:  # an unknown marker variable: treat as not applying here
        return False


def _marker_environment(probe: ProbeResult) -> dict[str, str]:
    """Markers must be judged for the probed interpreter, which need not be the one running mcheck."""
    version = probe.python_version.split()[0]
    major_minor = ".".join(version.split(".")[:2])
    return {
        "python_version": major_minor,
        "python_full_version": version,
        "sys_platform": probe.platform,
    }


def _display(name: str, installed: dict[str, Distribution]) -> str:
    dist = installed.get(name)
    return dist.name if dist is not None else name


@check("MC202", "MC203")
def undeclared_dependencies(
    ctx: CheckContext, analysis: StaticAnalysis, probe: ProbeResult
) -> Iterator[Finding]:
    graph = dependency_graph(ctx.wheel, probe)
    first_party = project_modules(ctx.project, ctx.wheel) if ctx.project is not None else None
    seen: set[tuple[str, str]] = set()
    sites = list(third_party_sites(ctx.wheel, analysis, probe, first_party))
    # A file that itself treats a module as optional (a guarded import of it somewhere) is not judged by
    # its other imports of that module: `if has_simplejson: from simplejson import JSONDecodeError`.
    optional_in_file = {(site.path, site.top_level) for site in sites if site.guarded}
    # extras named after the distribution they install (`eventlet = ["eventlet"]`)
    extras = set(ctx.wheel.extras_named_after_their_distribution())
    optional_files = _optional_files(probe, graph, sites, extras)
    for site in sites:
        if (site.path, site.top_level) in seen or site.path in optional_files:
            continue
        if (site.path, site.top_level) in optional_in_file and not site.guarded:
            site = replace(site, guarded=True)
        finding = _finding_for(probe, graph, site, ctx.siblings, ctx.project)
        if finding is not None and not analysis.is_ignored(site.path, site.line, finding.code):
            seen.add((site.path, site.top_level))
            yield finding


def third_party_sites(
    wheel: WheelContents,
    analysis: StaticAnalysis,
    probe: ProbeResult,
    first_party: ProjectModules | None,
) -> Iterator[ImportSite]:
    """Absolute imports that are neither stdlib, nor shipped by the wheel, nor first-party code MC107
    already reports, in file and line order."""
    shipped = shipped_top_levels(wheel) | vendored_top_levels(wheel)
    stdlib = probe.stdlib_module_names | FORMER_STDLIB | OTHER_VERSIONS_STDLIB
    for site in sorted(analysis.imports, key=lambda s: (s.path, s.line)):
        top = site.top_level
        if (
            site.level
            or top == "__future__"
            or top in stdlib
            or top in shipped
            or top in PLATFORM_MODULES
            or top in HOST_GUI_BINDINGS
        ):
            continue
        # Tests shipped inside a package import test-only tools (pytest, mock): dev dependencies. When
        # such a module does not import, the probe says so (MC304, test tooling).
        if is_test_code(site.importer) or top in plugin_tools(site.importer):
            continue
        if (
            first_party is not None
            and not probe.distributions_providing(top)
            and first_party.locate(site.target) is not None
        ):
            continue
        yield site


def vendored_top_levels(wheel: WheelContents) -> frozenset[str]:
    """Names importable from a vendor directory the wheel ships (``pkg/_vendor/lark/`` -> ``lark``)."""
    names = set()
    for installed in wheel.installed_files:
        parts = installed.split("/")
        for index, part in enumerate(parts[:-1]):
            if part in VENDOR_DIRS:
                names.add(parts[index + 1].removesuffix(".py"))
    return frozenset(name for name in names if name.isidentifier())


def _optional_files(
    probe: ProbeResult,
    graph: DependencyGraph,
    sites: list[ImportSite],
    extras: frozenset[str] | set[str] = frozenset(),
) -> set[str]:
    """Files that are optional by design, so that none of their imports is a missing runtime dependency:

    * a file importing an optional-extra dependency unconditionally works only with the extra installed,
      and the extra's own dependencies (`trio` brings `outcome`) cannot be seen without installing it;
    * an integration module, named after what it integrates (`tqdm/dask.py` imports dask,
      `pygments/sphinxext.py` sphinx) or inside an `integrations`/`contrib`/`backends` package, unless
      a declared dependency looks like the one meant (`Crypto` imported, `pycryptodomex` declared);
    * a module for one platform (`trio/_core/_windows_cffi.py`, `urllib3/contrib/emscripten/`);
    * a module named like an extra that installs the distribution of that name
      (`celery/concurrency/eventlet.py`, extra `eventlet = ["eventlet"]`): what it imports comes with
      that distribution's own dependencies.

    When such a module does not import, the probe reports it (MC304 when the cause is expected).
    """
    found = set()
    for site in sites:
        if not site.module_level or site.guarded:
            continue
        providers = {
            canonicalize_name(d.name) for d in probe.distributions_providing(site.top_level)
        }
        if providers & graph.direct:
            continue
        submodule = site.importer.partition(".")[
            2
        ]  # the package's own name says nothing about the platform
        if (
            _optional(site, providers, graph)
            or _PLATFORM_PART.search(submodule)
            or _named_like_an_extra(submodule, extras)
            or (_integration_module(site) and _similar_declared(site.top_level, graph) is None)
        ):
            found.add(site.path)
    return found


# A module-name part that says "for this platform only": `_windows_cffi`, `_io_windows`, `emscripten`.
_PLATFORM_PART = re.compile(
    r"(^|[._])(windows|win32|winapi|nt|macos|darwin|osx|android|ios|emscripten|pyodide|"
    r"wasm)(?=$|[._])",
    re.IGNORECASE,
)


def _named_like_an_extra(submodule: str, extras: frozenset[str] | set[str]) -> bool:
    return any(
        canonicalize_name(part.strip("_")) in extras for part in submodule.split(".") if part
    )


def _integration_module(site: ImportSite) -> bool:
    parts = [part.strip("_").lower() for part in site.importer.split(".")[1:]]
    if set(parts) & INTEGRATION_PACKAGES:
        return True
    return any(named_after(part, site.top_level.lower()) for part in parts)


def _finding_for(
    probe: ProbeResult,
    graph: DependencyGraph,
    site: ImportSite,
    siblings: dict[str, WorkspaceMember] | None = None,
    project: Project | None = None,
) -> Finding | None:
    providers = {canonicalize_name(d.name) for d in probe.distributions_providing(site.top_level)}
    # The name table backs up the probe's view (a namespace package's files can hide its distribution).
    declared = (
        graph.direct | graph.elsewhere
    )  # one for another platform is declared, and the probe's business
    if (providers | set(distributions_for_import(site.target))) & declared or _optional(
        site, providers, graph
    ):
        return None  # declared; an optional one is the probe's business (MC304)
    if site.fallback and not providers and _imported(probe, site.importer):
        # The module imported in the fresh venv and nothing there provides the fallback: the import
        # it stands in for worked, so the fallback serves other versions or distributions of that
        # dependency, not this install.
        return None
    chained = sorted(p for p in providers if p in graph.transitive)
    if chained:
        return None if site.guarded else _transitive(site, graph.transitive[chained[0]])
    if site.module_level and not site.guarded:
        return _undeclared(site, graph, providers, siblings or {}, project)
    return None


def _imported(probe: ProbeResult, module: str) -> bool:
    result = probe.modules.get(module)
    return result is not None and result.status == "ok"


def _optional(site: ImportSite, providers: set[str], graph: DependencyGraph) -> bool:
    # Extras are usually not installed when probing, so also ask the name table who would provide it.
    candidates = (
        providers | set(distributions_for_import(site.target)) | {canonicalize_name(site.top_level)}
    )
    return bool(candidates & graph.optional)


def _transitive(site: ImportSite, chain: str) -> Finding:
    direct = chain.split(" -> ", 1)[0]
    provider = chain.rsplit(" -> ", 1)[-1]
    return Finding(
        "MC203",
        path=site.path,
        line=site.line,
        message=f"{site.path}:{site.line} imports {site.top_level}, which only the transitive dependency "
        f"{chain} provides",
        hint=f"add {provider} to your dependencies: it is installed only because {direct} depends on it today",
    )


def _undeclared(
    site: ImportSite,
    graph: DependencyGraph,
    providers: set[str],
    siblings: dict[str, WorkspaceMember],
    project: Project | None,
) -> Finding:
    sibling = siblings.get(site.top_level)
    hint = (
        _sibling_hint(site, sibling, project)
        if sibling is not None
        else undeclared_hint(site, graph, providers)
    )
    return Finding(
        "MC202",
        path=site.path,
        line=site.line,
        message=f"{site.path}:{site.line} imports {site.top_level}, which no declared dependency provides",
        hint=hint,
        fix=_declare_fix(site, providers, project) if sibling is None else None,
    )


def _declare_fix(site: ImportSite, providers: set[str], project: Project | None) -> Fix | None:
    """Declare the distribution that provides the import where the project declares its
    dependencies; the re-run of --fix proves that it installs and provides the module."""
    candidates = sorted(providers) or list(distributions_for_import(site.target))
    if project is None or not candidates:
        return None
    return declare_dependency(project, candidates[0])


def _sibling_hint(site: ImportSite, sibling: WorkspaceMember, project: Project | None) -> str:
    """The workspace member that provides it: never an index package of the same name."""
    where = sibling.root.as_posix()
    if project is not None:
        where = os.path.relpath(sibling.root.resolve(), project.root.resolve())
    return (
        f"`{site.top_level}` is {sibling.name}, the workspace member {where}: declare it, "
        f'"{sibling.name}" in [project] dependencies and '
        f"`{sibling.name} = {{ workspace = true }}` in [tool.uv.sources]"
    )


def undeclared_hint(site: ImportSite, graph: DependencyGraph, providers: set[str]) -> str:
    """Which distribution would provide the import, and a declared one whose import name is close to it."""
    name = site.top_level
    candidates = sorted(providers) or list(distributions_for_import(site.target))
    source = f"`{name}` comes from {' or '.join(candidates)}"
    similar = _similar_declared(name, graph)
    if similar is not None:
        dist, other = similar
        fixed = other + site.target[len(name) :]
        return (
            f"{source}; the declared {dist} installs `{other}`: import `{fixed}` or depend on "
            f"{candidates[0]}"
        )
    return f"{source}: add it to your dependencies, or guard the import with try/except ImportError if optional"


def _similar_declared(name: str, graph: DependencyGraph) -> tuple[str, str] | None:
    """A declared dependency whose import name looks like ``name`` (``Cryptodome`` for ``Crypto``)."""
    for dist in sorted(graph.direct):
        installed = graph.installed.get(dist)
        names = (
            installed.import_names if installed is not None else import_names_for_distribution(dist)
        )
        display = installed.name if installed is not None else dist
        for other in names:
            if other != name and _looks_alike(name, other.split(".", 1)[0]):
                return display, other.split(".", 1)[0]
    return None


def _looks_alike(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    if min(len(a), len(b)) < 3:  # "io" and "iot" are not a typo of each other
        return False
    return a.startswith(b) or b.startswith(a) or difflib.SequenceMatcher(None, a, b).ratio() >= 0.8
