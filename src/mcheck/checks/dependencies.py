"""MC202 (import no declared dependency provides) and MC203 (import only a transitive dependency provides)."""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcheck.analysis.model import ImportSite
from mcheck.checks import CheckContext, check
from mcheck.checks.first_party import ProjectModules, project_modules, shipped_top_levels
from mcheck.findings import Finding
from mcheck.import_names import distributions_for_import, import_names_for_distribution
from mcheck.probe_model import Distribution, ProbeResult


@dataclass(frozen=True)
class DependencyGraph:
    """What a plain ``pip install`` of the wheel pulls in, as seen in the probed venv."""

    direct: frozenset[str]  # canonical names of the runtime requirements
    optional: frozenset[str]  # canonical names declared only under an extra
    # canonical name -> display chain from a direct dependency ("httpx -> idna"), transitive ones only
    transitive: dict[str, str]
    installed: dict[str, Distribution]  # canonical name -> distribution


def dependency_graph(ctx: CheckContext) -> DependencyGraph:
    assert ctx.probe is not None
    installed = {canonicalize_name(d.name): d for d in ctx.probe.distributions}
    roots = [(canonicalize_name(r.name), frozenset(r.extras)) for r in ctx.wheel.runtime_requirements]
    direct = frozenset(name for name, _ in roots)
    chains = _walk(roots, installed, _marker_environment(ctx.probe))
    transitive = {name: chain for name, chain in chains.items() if name not in direct}
    return DependencyGraph(direct=direct, optional=frozenset(ctx.wheel.extra_requirements()) - direct,
                           transitive=transitive, installed=installed)


def _walk(roots: list[tuple[str, frozenset[str]]], installed: dict[str, Distribution],
          environment: dict[str, str]) -> dict[str, str]:
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


def _active_requirements(dist: Distribution, extras: frozenset[str],
                         environment: dict[str, str]) -> Iterator[Requirement]:
    """Requirements of ``dist`` a plain install brings, plus those of the extras it was asked for."""
    for raw in dist.requires:
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        if req.marker is None or any(_marker_holds(req, environment, extra) for extra in ("", *extras)):
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
    return {"python_version": major_minor, "python_full_version": version, "sys_platform": probe.platform}


def _display(name: str, installed: dict[str, Distribution]) -> str:
    dist = installed.get(name)
    return dist.name if dist is not None else name


@check("MC202", "MC203", needs=("analysis", "probe"))
def undeclared_dependencies(ctx: CheckContext) -> Iterator[Finding]:
    assert ctx.analysis is not None and ctx.probe is not None
    graph = dependency_graph(ctx)
    first_party = project_modules(ctx.project, ctx.wheel) if ctx.project is not None else None
    seen: set[tuple[str, str]] = set()
    for site in third_party_sites(ctx, first_party):
        if (site.path, site.top_level) in seen:
            continue
        finding = _finding_for(ctx, graph, site)
        if finding is not None and not ctx.analysis.is_ignored(site.path, site.line, finding.code):
            seen.add((site.path, site.top_level))
            yield finding


def third_party_sites(ctx: CheckContext, first_party: ProjectModules | None) -> Iterator[ImportSite]:
    """Absolute imports that are neither stdlib, nor shipped by the wheel, nor first-party code MC107
    already reports, in file and line order."""
    assert ctx.analysis is not None and ctx.probe is not None
    shipped = shipped_top_levels(ctx.wheel)
    stdlib = ctx.probe.stdlib_module_names
    for site in sorted(ctx.analysis.imports, key=lambda s: (s.path, s.line)):
        top = site.top_level
        if site.level or top == "__future__" or top in stdlib or top in shipped:
            continue
        if first_party is not None and not ctx.probe.distributions_providing(top) \
                and first_party.locate(site.target) is not None:
            continue
        yield site


def _finding_for(ctx: CheckContext, graph: DependencyGraph, site: ImportSite) -> Finding | None:
    assert ctx.probe is not None
    providers = {canonicalize_name(d.name) for d in ctx.probe.distributions_providing(site.top_level)}
    # The name table backs up the probe's view (a namespace package's files can hide its distribution).
    if (providers | set(distributions_for_import(site.target))) & graph.direct or _optional(site, providers, graph):
        return None  # declared; an optional one is the probe's business (MC304)
    chained = sorted(p for p in providers if p in graph.transitive)
    if chained:
        return None if site.guarded else _transitive(site, graph.transitive[chained[0]])
    if site.module_level and not site.guarded:
        return _undeclared(site, graph, providers)
    return None


def _optional(site: ImportSite, providers: set[str], graph: DependencyGraph) -> bool:
    # Extras are usually not installed when probing, so also ask the name table who would provide it.
    candidates = providers | set(distributions_for_import(site.target)) | {canonicalize_name(site.top_level)}
    return bool(candidates & graph.optional)


def _transitive(site: ImportSite, chain: str) -> Finding:
    direct = chain.split(" -> ", 1)[0]
    provider = chain.rsplit(" -> ", 1)[-1]
    return Finding(
        "MC203", path=site.path, line=site.line,
        message=f"{site.path}:{site.line} imports {site.top_level}, which only the transitive dependency "
                f"{chain} provides",
        hint=f"add {provider} to your dependencies: it is installed only because {direct} depends on it today",
    )


def _undeclared(site: ImportSite, graph: DependencyGraph, providers: set[str]) -> Finding:
    return Finding(
        "MC202", path=site.path, line=site.line,
        message=f"{site.path}:{site.line} imports {site.top_level}, which no declared dependency provides",
        hint=undeclared_hint(site, graph, providers),
    )


def undeclared_hint(site: ImportSite, graph: DependencyGraph, providers: set[str]) -> str:
    """Which distribution would provide the import, and a declared one whose import name is close to it."""
    name = site.top_level
    candidates = sorted(providers) or list(distributions_for_import(site.target))
    source = f"`{name}` comes from {' or '.join(candidates)}"
    similar = _similar_declared(name, graph)
    if similar is not None:
        dist, other = similar
        fixed = other + site.target[len(name):]
        return (f"{source}; the declared {dist} installs `{other}`: import `{fixed}` or depend on "
                f"{candidates[0]}")
    return f"{source}: add it to your dependencies, or guard the import with try/except ImportError if optional"


def _similar_declared(name: str, graph: DependencyGraph) -> tuple[str, str] | None:
    """A declared dependency whose import name looks like ``name`` (``Cryptodome`` for ``Crypto``)."""
    for dist in sorted(graph.direct):
        installed = graph.installed.get(dist)
        names = installed.import_names if installed is not None else import_names_for_distribution(dist)
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
