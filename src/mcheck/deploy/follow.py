"""Resolve a start command's target in the reconstructed container and follow its imports.

Everything here is static: files are parsed with :mod:`ast` (through
:func:`mcheck.analysis.imports.extract_imports`), never executed. First-party imports that do not
resolve in the container become MC501 (the file is shipped, under another module path) or MC502 (the
file is in the repository but not in the container); the rest are third-party names for the probe.
"""

from __future__ import annotations

import ast
import posixpath
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from mcheck.analysis.imports import extract_imports
from mcheck.analysis.model import ImportSite
from mcheck.deploy.commands import ServerCall, parse_server
from mcheck.deploy.model import Runtime, StartCommand
from mcheck.deploy.resolve import FileTree, Resolved, module_name_for
from mcheck.findings import Finding, Fix
from mcheck.fix.dockerfile import add_copy
from mcheck.fix.edits import remove_line, replace_module_on_line
from mcheck.knowledge.import_names import distributions_for_import
from mcheck.smallfiles import SOURCE_FILE_LIMIT, read_small_text


@dataclass
class Target:
    """A start command resolved in the container: what Python imports first, and from where."""

    start: StartCommand
    call: ServerCall
    cwd: str  # absolute container directory the server runs in
    sys_path: list[str]  # absolute container directories, in order
    module: str | None = None  # dotted name the entry file is imported as ("__main__" for scripts)
    file: str | None = None  # container path of the entry file
    chain: tuple[str, ...] = ()  # package __init__ files executed before it
    installed: bool = False  # the module comes from a repository package the build installs

    @property
    def command(self) -> str:
        return " ".join(self.start.argv) or self.start.raw


@dataclass
class Analysis:
    """What following one target's imports found."""

    target: Target | None
    findings: list[Finding] = field(default_factory=list)
    third_party: dict[str, list[ImportSite]] = field(
        default_factory=dict
    )  # top-level name -> sites
    unresolved: set[str] = field(
        default_factory=set
    )  # first-party top-level names already reported
    modules: list[str] = field(default_factory=list)  # repository files reached


class Follower:
    """Resolves one start command and walks its first-party imports."""

    def __init__(self, runtime: Runtime, repo: FileTree, repo_root: Path) -> None:
        self.runtime = runtime
        self.fs = FileTree(runtime.files)
        self.repo = repo
        self.repo_root = repo_root
        self._requirement_names: set[str] | None = None  # read when first needed

    # --- the start target -----------------------------------------------------------------------------

    def analyse(self, start: StartCommand) -> Analysis | None:
        """None when the command does not run a Python server or module mcheck knows."""
        call = parse_server(start.argv, start.cwd or ".") if start.argv else None
        if call is None:
            return None
        cwd = posixpath.normpath(posixpath.join(self.runtime.workdir, call.cwd))
        target = Target(start, call, cwd, [])
        analysis = Analysis(target)
        if cwd not in self.fs.dirs:
            analysis.findings.append(self._missing_cwd(target))
            return analysis
        if call.kind == "script" and call.server == "fastapi":
            self._fastapi_target(target)
        if call.kind == "module":
            self._module_target(target, analysis)
        else:
            self._script_target(target, analysis)
        if target.file is not None:
            self._walk(target, analysis)
        return analysis

    def _pythonpath(self, target: Target) -> list[str]:
        """``PYTHONPATH`` entries as absolute container directories: the start command's own
        assignment (relative to where it runs) wins over the image's and the host's."""
        written = target.start.pythonpath
        if written is None:
            return list(self.runtime.pythonpath)
        return [posixpath.normpath(posixpath.join(target.cwd, p)) for p in written.split(":") if p]

    def _module_target(self, target: Target, analysis: Analysis) -> None:
        call = target.call
        extra = [posixpath.normpath(posixpath.join(target.cwd, p)) for p in call.extra_path]
        target.sys_path = _unique([*extra, target.cwd, *self._pythonpath(target)])
        found = self.fs.resolve(call.target, target.sys_path)
        if found is None and call.target.split(".", 1)[0] in self.runtime.installed_names:
            # A module of a repository package the build installs: the venv has it, and the
            # target probe imports it there.
            target.module, target.installed = call.target, True
            return
        if found is None or found.file is None:
            analysis.findings.append(self._unresolved_start(target, call.target))
            return
        target.module, target.file, target.chain = call.target, found.file, found.chain

    def _script_target(self, target: Target, analysis: Analysis) -> None:
        script = posixpath.normpath(posixpath.join(target.cwd, target.call.target))
        # `python path.py` puts the script's directory, not the working directory, first on sys.path.
        target.sys_path = _unique([posixpath.dirname(script), *self._pythonpath(target)])
        if script not in self.fs.files:
            analysis.findings.append(self._unresolved_script(target, script))
            return
        target.module, target.file = "__main__", script
        analysis.findings.extend(self._relative_imports_in_script(target))

    def _fastapi_target(self, target: Target) -> None:
        """`fastapi run path.py` imports the file as a module of its outermost package (like the CLI)."""
        script = posixpath.normpath(posixpath.join(target.cwd, target.call.target))
        root = posixpath.dirname(script)
        while posixpath.join(root, "__init__.py") in self.fs.files and root != "/":
            root = posixpath.dirname(root)
        name = module_name_for(script, root)
        if name is not None and script in self.fs.files:
            target.call = ServerCall(
                "fastapi",
                "module",
                name,
                attr=target.call.attr,
                cwd=target.call.cwd,
                extra_path=(posixpath.relpath(root, target.cwd),),
                argv=target.call.argv,
            )

    # --- walking imports --------------------------------------------------------------------------------

    def _walk(self, target: Target, analysis: Analysis) -> None:
        assert target.file is not None and target.module is not None
        queue: deque[tuple[str, str]] = deque()
        for init in target.chain:
            queue.append((self._name_of(init, target), init))
        queue.append((target.module, target.file))
        seen: set[str] = set()
        while queue:
            module, file = queue.popleft()
            if file in seen or not file.endswith(".py"):
                continue
            seen.add(file)
            analysis.modules.append(self.runtime.files[file])
            for site in self._sites(module, file):
                queue.extend(self._follow_site(site, target, analysis))

    def _name_of(self, file: str, target: Target) -> str:
        return next((n for p in target.sys_path if (n := module_name_for(file, p))), "")

    def _sites(self, module: str, file: str) -> list[ImportSite]:
        repo_file = self.runtime.files[file]
        try:
            source = read_small_text(self.repo_root / repo_file, limit=SOURCE_FILE_LIMIT)
            return extract_imports(
                module, repo_file, source, is_package=file.endswith("/__init__.py")
            )
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            return []  # unreadable or broken source is reported by other checks

    def _follow_site(
        self, site: ImportSite, target: Target, analysis: Analysis
    ) -> list[tuple[str, str]]:
        """The container files this import executes; records findings and third-party names."""
        if (
            site.guarded
            or site.top_level in sys.stdlib_module_names
            or site.top_level == "__main__"
        ):
            return []
        found = self.fs.resolve(site.target, target.sys_path)
        if found is None and site.top_level in self.runtime.installed_names:
            # A project of this repository the build installs: the venv has it (built by mcheck
            # from the repository), and the target probe imports it there.
            if site.module_level:
                analysis.third_party.setdefault(site.top_level, []).append(site)
            return []
        if found is None:
            finding = self._unresolved_import(site, target)
            if finding is not None:
                analysis.findings.append(finding)
                analysis.unresolved.add(site.top_level)
            elif site.module_level:
                analysis.third_party.setdefault(site.top_level, []).append(site)
            return []
        follow = [*(f for f in found.chain), *([found.file] if found.file else [])]
        for name in site.names:  # `from pkg import submodule` imports the submodule too
            sub = (
                self.fs.resolve(f"{site.target}.{name}", target.sys_path)
                if found.directories
                else None
            )
            if sub is not None and sub.file is not None:
                follow.append(sub.file)
        return [(self._name_of(f, target), f) for f in follow]

    # --- classifying what does not resolve ---------------------------------------------------------------

    def _repo_candidate(
        self, name: str, sys_path: list[str], importer: str | None = None
    ) -> tuple[str, str] | None:
        """(repository file, repository directory it resolved from) the author meant by ``name``: looked up
        from the repository directories behind each sys.path entry, then from the importing file's own
        directory and those above it (`from domain import x` in backend/main.py that only works when
        backend/ is on sys.path), then from the ancestors of the sys.path entries."""
        bases: list[str] = []
        for entry in sys_path:
            base = self.runtime.repo_dir_of(entry)
            if base is None and entry == self.runtime.workdir:
                base = self.runtime.context
            if base is not None:
                bases.append(base)
        bases.append(self.runtime.context)
        near = (
            []
            if importer is None
            else [posixpath.dirname(importer), *_ancestors(posixpath.dirname(importer))]
        )
        ancestors = [a for b in bases for a in _ancestors(b)]
        for base in _unique([*bases, *near, *ancestors]):
            found = self.repo.resolve(name, [base])
            if found is not None and (
                found.file or any(self.repo.has_python_below(d) for d in found.directories)
            ):
                return _representative(found, self.repo), base
        return self._only_place_in_repo(name)

    def _only_place_in_repo(self, name: str) -> tuple[str, str] | None:
        """A dotted module that exists in exactly one place of the repository, below a directory no
        sys.path entry names (``from models.raw import x`` with the models in ``common/models/``):
        the author's code, not an index package. A bare name needs a package directory there."""
        top = name.split(".", 1)[0]
        if self._installed_from_an_index(top):
            return None  # ranking-challenge: its services install the package the repo publishes
        bases = {
            posixpath.dirname(d)
            for d in self.repo.dirs
            if posixpath.basename(d) == top and self.repo.has_python_below(d)
        }
        if "." not in name and not bases:
            return None
        places = []
        for base in sorted(bases):
            found = self.repo.resolve(name, [base])
            if found is not None and (found.file or "." in name):
                places.append((_representative(found, self.repo), base))
        return places[0] if len(places) == 1 else None

    def _installed_from_an_index(self, top: str) -> bool:
        """Whether a requirement of the build names a distribution that provides ``top``."""
        if self._requirement_names is None:
            self._requirement_names = requirement_names(self.runtime, self.repo_root)
        providers = {canonicalize_name(d) for d in distributions_for_import(top)}
        return bool(providers & self._requirement_names)

    def _unresolved_import(self, site: ImportSite, target: Target) -> Finding | None:
        candidate = self._repo_candidate(site.target, target.sys_path, importer=site.path)
        if candidate is None:
            return None
        repo_file, base = candidate
        statement = _statement(site)
        context = f"`{statement}` (run by `{target.command}`)"
        if self.runtime.container_path_of(repo_file) is not None:
            message, hint = self._shipped_elsewhere(site.target, repo_file, base, target)
            return Finding("MC501", site.path, f"{context}: {message}", hint=hint, line=site.line)
        message, hint, fix = self._not_shipped(site.target, repo_file, base, target)
        return Finding(
            "MC502", site.path, f"{context}: {message}", hint=hint, line=site.line, fix=fix
        )

    def _unresolved_start(self, target: Target, module: str) -> Finding:
        start = target.start
        candidate = self._repo_candidate(module, target.sys_path)
        where = f"from {target.cwd} (sys.path: {', '.join(target.sys_path)})"
        if candidate is None:
            message = f"`{target.command}`: module `{module}` does not resolve {where}"
            importable = self._importable_elsewhere(module, target)
            if importable is None:
                hint = self._elsewhere_in_container(module)
                return Finding("MC501", start.source_file, message, hint=hint, line=start.line)
            return self._renamed_start(target, message, module, importable)
        repo_file, base = candidate
        if self.runtime.container_path_of(repo_file) is None:
            message, hint, fix = self._not_shipped(module, repo_file, base, target)
            return Finding(
                "MC502",
                start.source_file,
                f"`{target.command}`: {message}",
                hint=hint,
                line=start.line,
                fix=fix,
            )
        container = self.runtime.container_path_of(repo_file)
        assert container is not None
        names = self._names_on_path(container, target.sys_path)
        message = (
            f"`{target.command}`: module `{module}` does not resolve {where}; {repo_file} is in the "
            f"container at {container}"
        )
        if not names:
            return Finding("MC501", start.source_file, message, line=start.line)
        return self._renamed_start(target, message, module, names[0])

    def _renamed_start(self, target: Target, message: str, module: str, name: str) -> Finding:
        """MC501 whose fix names the module as it imports from the start command's sys.path."""
        start = target.start
        hint = f"start it as `{_replace_module(target, module, name)}`"
        fix = (
            Fix(hint, (replace_module_on_line(start.source_file, start.line, module, name),))
            if start.line is not None
            else None
        )
        return Finding("MC501", start.source_file, message, hint=hint, line=start.line, fix=fix)

    def _importable_elsewhere(self, module: str, target: Target) -> str | None:
        """The name under which a container file with the module's path imports from the start
        command's sys.path (``main`` is ``/src/otp_auth/main.py``: ``otp_auth.main``), if one does."""
        suffix = "/" + module.replace(".", "/")
        hits = sorted(
            f for f in self.fs.files if f.endswith((suffix + ".py", suffix + "/__init__.py"))
        )
        names = [n for hit in hits for n in self._names_on_path(hit, target.sys_path)]
        return names[0] if len(set(names)) == 1 else None

    def _elsewhere_in_container(self, module: str) -> str | None:
        """Where a file with the module's path sits in the container, when somewhere else."""
        suffix = "/" + module.replace(".", "/")
        hits = sorted(
            f for f in self.fs.files if f.endswith((suffix + ".py", suffix + "/__init__.py"))
        )
        if not hits:
            return "no file in the container or the repository has that module path"
        root = _root_for(hits[0], module)
        return f"the container has {hits[0]}: add {root} to PYTHONPATH (or `--app-dir {root}` for uvicorn)"

    def _unresolved_script(self, target: Target, script: str) -> Finding:
        start = target.start
        base = self.runtime.repo_dir_of(target.cwd)
        repo_file = (
            posixpath.normpath(posixpath.join(base, target.call.target))
            if base is not None
            else None
        )
        if repo_file is not None and repo_file in self.repo.files:
            message, hint, fix = self._not_shipped_file(repo_file)
            return Finding(
                "MC502",
                start.source_file,
                f"`{target.command}`: {script} is missing: {message}",
                hint=hint,
                line=start.line,
                fix=fix,
            )
        elsewhere = sorted(
            c for c in self.fs.files if c.endswith("/" + target.call.target.lstrip("./"))
        )
        hint = (
            f"the container has {elsewhere[0]}; run it from {posixpath.dirname(elsewhere[0])}"
            if elsewhere
            else None
        )
        return Finding(
            "MC501",
            start.source_file,
            f"`{target.command}`: {script} does not exist in the container",
            hint=hint,
            line=start.line,
        )

    def _missing_cwd(self, target: Target) -> Finding:
        return Finding(
            "MC501",
            target.start.source_file,
            f"`{target.start.argv and ' '.join(target.start.argv)}` runs in {target.cwd}, which does not "
            f"exist in the container (working directory {self.runtime.workdir})",
            hint="fix the `cd`/--chdir path: it is relative to the working directory",
            line=target.start.line,
        )

    def _shipped_elsewhere(
        self, name: str, repo_file: str, base: str, target: Target
    ) -> tuple[str, str]:
        """MC501: the file is in the container, but not at a path where ``name`` resolves."""
        container = self.runtime.container_path_of(repo_file)
        assert container is not None
        message = (
            f"`{name}` does not resolve on sys.path ({', '.join(target.sys_path)}); {repo_file} is in the "
            f"container at {container}"
        )
        hints: list[str] = []
        root = _root_for(container, name)
        if root is not None and root in self.fs.dirs and target.file is not None:
            entry = module_name_for(target.file, root)
            if entry is not None:
                command = _as_module_command(target, entry)
                hints.append(
                    f"start the service from {root} as `{command}` (so `{name}` resolves), or make "
                    f"`{name.split('.')[0]}` an installable package"
                )
        elif target.file is not None and self.runtime.kind == "root-directory":
            entry = module_name_for(self.runtime.files[target.file], base)
            if entry is not None:
                hints.append(
                    f"set the service's root directory to {base or 'the repository root'} and start "
                    f"it as `{_as_module_command(target, entry)}`"
                )
        names = self._names_on_path(container, target.sys_path)
        if names:
            hints.append(
                f"or import it as `{names[0]}` (what resolves from {self._entry_of(container, target)})"
            )
        return message, "; ".join(
            hints
        ) if hints else f"add the directory that contains `{name}` to PYTHONPATH"

    def _not_shipped(
        self, name: str, repo_file: str, base: str, target: Target
    ) -> tuple[str, str, Fix | None]:
        """MC502: ``name`` is ``repo_file`` in the repository, which the build does not put in the container."""
        message, hint, fix = self._not_shipped_file(repo_file, name=name, base=base, target=target)
        return f"`{name}` is {repo_file}, which is not in the container: {message}", hint, fix

    def _not_shipped_file(
        self,
        repo_file: str,
        *,
        name: str | None = None,
        base: str = "",
        target: Target | None = None,
    ) -> tuple[str, str, Fix | None]:
        """(message, hint, the mechanical fix where there is one) for a file the build leaves out."""
        runtime = self.runtime
        ignored = runtime.ignored.get(repo_file)
        if ignored is not None:
            source, line, text = ignored
            remove = f"remove `{text}` from {source} (line {line})"
            return (
                f"excluded by {source}:{line} (`{text}`)",
                remove,
                Fix(remove, (remove_line(source, line, text),)),
            )
        context = runtime.context
        if context and not repo_file.startswith(context + "/"):
            return (*self._outside_context(repo_file, name, base, target), None)
        if runtime.kind == "dockerfile" and runtime.dockerfile is not None:
            source, destination = self._copy_line(repo_file, name, base, target)
            add = f"add `COPY {source} {destination}` to {runtime.dockerfile}"
            fix = Fix(add, (add_copy(runtime.dockerfile, source, destination),))
            return "the Dockerfile never copies it", add, fix
        return "it is not part of the build", f"make sure {repo_file} is committed", None

    def _outside_context(
        self, repo_file: str, name: str | None, base: str, target: Target | None
    ) -> tuple[str, str]:
        runtime = self.runtime
        what = (
            "Docker build context" if runtime.kind == "dockerfile" else "service's root directory"
        )
        message = f"it is outside the {what} {runtime.context}/"
        top = name.split(".")[0] if name else posixpath.basename(repo_file)
        fixes = [f"move or copy `{top}` into {runtime.context}/"]
        if target is not None and target.file is not None and runtime.kind == "root-directory":
            entry = module_name_for(runtime.files[target.file], base)
            if entry is not None:
                fixes.append(
                    f"set the root directory to {base or 'the repository root'} and start it as "
                    f"`{_as_module_command(target, entry)}`"
                )
            else:
                service = runtime.context
                fixes.append(
                    f"build from {base or 'the repository root'} with a Dockerfile that copies both "
                    f"(`COPY {service}/ ./` and `COPY {posixpath.join(base, top)} ./{top}`)"
                )
        elif runtime.kind == "dockerfile":
            fixes.append(f"build with the context at {base or 'the repository root'} and COPY it")
        return message, ", or ".join(fixes)

    def _copy_line(
        self, repo_file: str, name: str | None, base: str, target: Target | None
    ) -> tuple[str, str]:
        """(source, destination) of the COPY line that puts the module where the first sys.path
        entry finds it."""
        runtime = self.runtime
        top = name.split(".")[0] if name else None
        source = (
            posixpath.join(base, top)
            if top and posixpath.join(base, top) in self.repo.dirs
            else repo_file
        )
        context_source = source[len(runtime.context) + 1 :] if runtime.context else source
        entry = target.sys_path[0] if target is not None and target.sys_path else runtime.workdir
        dest = posixpath.join(entry, posixpath.relpath(source, base) if base else source)
        if source == repo_file:
            dest = posixpath.dirname(dest) + "/"
        return context_source, _relative_to_workdir(dest, runtime.workdir)

    def _names_on_path(self, container: str, sys_path: list[str]) -> list[str]:
        return [n for entry in sys_path if (n := module_name_for(container, entry))]

    def _entry_of(self, container: str, target: Target) -> str:
        return next((e for e in target.sys_path if module_name_for(container, e)), target.cwd)

    def _relative_imports_in_script(self, target: Target) -> list[Finding]:
        """`python path.py` runs the file as __main__ without a package: relative imports raise."""
        assert target.file is not None
        repo_file = self.runtime.files[target.file]
        try:
            tree = ast.parse(read_small_text(self.repo_root / repo_file, limit=SOURCE_FILE_LIMIT))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            return []
        findings: list[Finding] = []
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                parent = posixpath.dirname(posixpath.dirname(target.file))
                entry = module_name_for(target.file, parent)
                hint = (
                    f"start it as `{_as_module_command(target, entry)}` from {parent}"
                    if entry
                    else "start it with `python -m package.module` from the package's parent directory"
                )
                findings.append(
                    Finding(
                        "MC501",
                        repo_file,
                        "relative import in a file run as a script "
                        f"(`{target.command}`): ImportError: attempted relative import with no known parent package",
                        hint=hint,
                        line=node.lineno,
                    )
                )
        return findings


def _as_module_command(target: Target, module: str) -> str:
    """The start command with its target replaced by ``module``, as ``python -m`` for scripts."""
    call = target.call
    if call.kind == "script" or call.server == "python":
        return f"python -m {module}"
    attr = f":{call.attr}" if call.attr else ""
    return _replace_module(target, call.target, module) if attr else f"{call.server} {module}"


def _replace_module(target: Target, old: str, new: str) -> str:
    argv = list(target.start.argv)
    for i, arg in enumerate(argv):
        if arg == old or arg.startswith(old + ":"):
            argv[i] = new + arg[len(old) :]
            break
    return " ".join(argv)


def _statement(site: ImportSite) -> str:
    """The import as a reader recognises it (relative imports are shown resolved)."""
    if site.names:
        return f"from {site.target} import {', '.join(site.names)}"
    return f"import {site.target}"


def _relative_to_workdir(dest: str, workdir: str) -> str:
    """``dest`` as a COPY destination relative to WORKDIR where it is inside it (``./``, ``./pkg``),
    a trailing slash kept; repeated slashes (WORKDIR ``/`` joined to ``/``) collapsed."""
    path, base = _collapsed(dest), _collapsed(workdir)
    slash = "/" if dest.endswith("/") and path != "/" else ""
    if path == base:
        return "./"
    inside = base.rstrip("/") + "/"
    if path.startswith(inside):
        return "./" + path[len(inside) :] + slash
    return path + slash


def _collapsed(path: str) -> str:
    return "/" + "/".join(part for part in path.split("/") if part)


def _root_for(container: str, name: str) -> str | None:
    """The directory from which ``container`` is importable as ``name``."""
    parts = name.split(".")
    stem = (
        container[: -len("/__init__.py")]
        if container.endswith("/__init__.py")
        else posixpath.splitext(container)[0]
    )
    suffix = "/" + "/".join(parts)
    return stem[: -len(suffix)] or "/" if stem.endswith(suffix) else None


def _representative(found: Resolved, repo: FileTree) -> str:
    if found.file is not None:
        return found.file
    below = sorted(
        f for f in repo.files if f.startswith(found.directories[0] + "/") and f.endswith(".py")
    )
    return below[0]


def _ancestors(path: str) -> list[str]:
    found: list[str] = []
    while path:
        path = posixpath.dirname(path)
        found.append(path)
    return found


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def requirement_names(runtime: Runtime, repo_root: Path) -> set[str]:
    """Canonical names of what the build installs from an index: its packages and the lines of
    the requirements files it has (read from the repository: the image holds the same files)."""
    lines = list(runtime.packages)
    for ref in runtime.requirements:
        repo_file = ref.repo_path or runtime.files.get(ref.container_path)
        if not ref.present or repo_file is None:
            continue
        try:
            lines += read_small_text(repo_root / repo_file, errors="replace").splitlines()
        except OSError:
            continue
    names = set()
    for line in lines:
        try:
            names.add(canonicalize_name(Requirement(line.split("#", 1)[0].strip()).name))
        except InvalidRequirement:
            continue
    return names
