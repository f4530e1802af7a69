"""Reconstruct the runtime filesystem of a service from its build settings, without Docker.

Two kinds of build are modelled. A Docker build replays the Dockerfile against its context. A
root-directory build (Nixpacks, Railpack, Render's native runtimes, Heroku buildpacks) copies the
service's root directory to ``/app`` and runs the start command there.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from mcheck.deploy.commands import pip_installs, shell_commands
from mcheck.deploy.dockerfile import ContextFiles, Replayer
from mcheck.deploy.dockerignore import DockerIgnore
from mcheck.deploy.model import (
    DeployConfig,
    RequirementRef,
    Runtime,
    TargetInstall,
    local_install,
    requirements_file_installs,
)
from mcheck.deploy.project_installs import (
    declared_in,
    lock_pins,
    project_installs,
    project_requirements,
)
from mcheck.findings import Finding
from mcheck.smallfiles import read_small_text

APP_DIR = "/app"  # where root-directory builders put the service (Railway, Nixpacks, Railpack)
DEFAULT_REQUIREMENTS = "requirements.txt"  # installed automatically by every Python builder


def reconstruct(
    config: DeployConfig, repo_root: Path, repo_files: list[str]
) -> tuple[Runtime, list[Finding]]:
    """The runtime filesystem of the service, plus MC502/MC503 for what the build cannot find."""
    if config.dockerfile is not None:
        runtime, findings = _docker_runtime(config, repo_root, repo_files)
    else:
        runtime, findings = _root_directory_runtime(config, repo_root, repo_files)
    pythonpath = runtime.env.get("PYTHONPATH") or config.env.get("PYTHONPATH") or ""
    runtime.pythonpath = tuple(
        posixpath.normpath(posixpath.join(runtime.workdir, p)) for p in pythonpath.split(":") if p
    )
    repository = ContextFiles(repo_files, "", DockerIgnore("", []), repo_root)
    _add_build_command_requirements(config, runtime, repository)
    repo_set = set(repo_files)
    findings.extend(
        _missing_requirement(config, runtime, ref, repo_set)
        for ref in runtime.requirements
        if not ref.present
    )
    return runtime, findings


def _ignore(repo_root: Path, context: str) -> DockerIgnore:
    source = posixpath.join(context, ".dockerignore") if context else ".dockerignore"
    return DockerIgnore.read(repo_root / source, source)


def _docker_runtime(
    config: DeployConfig, repo_root: Path, repo_files: list[str]
) -> tuple[Runtime, list[Finding]]:
    assert config.dockerfile is not None
    context = config.docker_context or ""
    ignore = _ignore(repo_root, context)
    runtime = Runtime(kind="dockerfile", context=context, dockerfile=config.dockerfile)
    try:
        text = read_small_text(repo_root / config.dockerfile)
    except (OSError, UnicodeDecodeError) as exc:
        return runtime, [
            Finding("MC503", config.dockerfile, f"{config.dockerfile} cannot be read: {exc}")
        ]
    build = Replayer(
        config.dockerfile, ContextFiles(repo_files, context, ignore, repo_root), ignore.source
    ).run(text)
    runtime.files = build.final.files
    runtime.workdir = build.final.workdir
    runtime.env = build.final.env
    runtime.base_image = build.final.base_image or None
    runtime.requirements = build.requirements
    runtime.packages = build.packages
    runtime.local_installs = build.local_installs
    runtime.dependency_tables = build.dependency_tables
    runtime.constraints = build.constraints
    # only the final stage's: a builder stage's --target directory is what a `COPY --from` takes
    runtime.target_installs = list(build.final.target_installs)
    runtime.ignored = build.ignored
    runtime.invalidate()
    return runtime, list(build.findings)


def _root_directory_runtime(
    config: DeployConfig, repo_root: Path, repo_files: list[str]
) -> tuple[Runtime, list[Finding]]:
    context = config.service_dir
    ignore = _ignore(repo_root, context)
    files = ContextFiles(repo_files, context, ignore, repo_root)
    runtime = Runtime(kind="root-directory", context=context, workdir=APP_DIR)
    runtime.files = {posixpath.join(APP_DIR, rel): repo for rel, repo in files.files.items()}
    runtime.ignored = {
        files.all[rel]: (ignore.source, rule.line, rule.text)
        for rel, rule in files.excluded.items()
    }
    runtime.invalidate()
    default = posixpath.join(APP_DIR, DEFAULT_REQUIREMENTS)
    if default in runtime.files:
        runtime.requirements.append(RequirementRef(runtime.files[default], None, default, True))
        runtime.local_installs.extend(
            requirements_file_installs(default, APP_DIR, runtime.files, files.read, files.has)
        )
    else:
        # Nixpacks, Railpack and Heroku install a Pipfile or a poetry project without being told
        for tool in ("pipenv", "poetry"):
            found = project_requirements(tool, APP_DIR, runtime.files, files.read)
            marker = "Pipfile" if tool == "pipenv" else "poetry.lock"
            if found is not None and posixpath.join(APP_DIR, marker) in runtime.files:
                runtime.packages.extend(found)
                runtime.dependency_tables.append(declared_in(tool, APP_DIR, runtime.files))
                runtime.constraints.extend(lock_pins(tool, APP_DIR, runtime.files, files.read))
                break
    return runtime, []


def _add_build_command_requirements(
    config: DeployConfig, runtime: Runtime, repository: ContextFiles
) -> None:
    """Requirements files, packages and local projects named by the host's build commands (run in
    the working directory); ``repository`` is every repository file, for ``git+`` URLs of this
    repository and the text of the requirements files."""
    known = {r.container_path for r in runtime.requirements}
    for command in config.build_commands:
        for project in project_installs(shell_commands(command.command)):
            base = posixpath.normpath(posixpath.join(runtime.workdir, project.cwd))
            found = project_requirements(project.tool, base, runtime.files, repository.read)
            if found is not None and project.output is None:
                runtime.packages.extend(found)
                runtime.dependency_tables.append(declared_in(project.tool, base, runtime.files))
                runtime.constraints.extend(
                    lock_pins(project.tool, base, runtime.files, repository.read)
                )
        for install in pip_installs(command.command):
            base = posixpath.normpath(posixpath.join(runtime.workdir, install.cwd))
            if install.target is not None and "$" not in install.target:
                runtime.target_installs.append(
                    TargetInstall(
                        command.source_file,
                        command.line,
                        posixpath.normpath(posixpath.join(base, install.target)),
                        install.target,
                    )
                )
            for name in install.requirement_files:
                path = posixpath.normpath(posixpath.join(base, name))
                if path not in known:
                    known.add(path)
                    runtime.local_installs.extend(
                        requirements_file_installs(
                            path, base, runtime.files, repository.read, repository.has
                        )
                    )
                    runtime.requirements.append(
                        RequirementRef(
                            command.source_file,
                            command.line,
                            path,
                            path in runtime.files,
                            _written(install.cwd, name),
                        )
                    )
            runtime.packages.extend(install.packages)
            runtime.local_installs.extend(
                local_install(
                    command.source_file, command.line, arg, base, runtime.files, repository.has
                )
                for arg in install.local
            )


def _written(cwd: str, name: str) -> str:
    return name if cwd == "." else posixpath.join(cwd, name)


def _missing_requirement(
    config: DeployConfig, runtime: Runtime, ref: RequirementRef, repo_files: set[str]
) -> Finding:
    """MC502 for a requirements file a build command reads but the build does not have."""
    name = posixpath.basename(ref.container_path)
    found = _requirement_in_repo(config, runtime, ref, repo_files)
    where = f"; the repository has it at {found}" if found else ""
    message = (
        f"the build installs {ref.container_path} ({ref.written or name!r} from "
        f"{runtime.workdir}), which is not in the "
        f"{'image at that point' if runtime.kind == 'dockerfile' else 'uploaded root directory'}{where}"
    )
    return Finding(
        "MC502",
        ref.source_file,
        message,
        hint=_requirement_hint(config, runtime, ref, name, found),
        line=ref.line,
    )


def _requirement_in_repo(
    config: DeployConfig, runtime: Runtime, ref: RequirementRef, repo_files: set[str]
) -> str | None:
    """The repository file the command meant: the same path taken from the host-side directory, else the
    nearest file of that name."""
    base = runtime.repo_dir_of(runtime.workdir)
    base = config.service_dir if base is None else base
    guess = posixpath.normpath(
        posixpath.join(base, ref.written or posixpath.basename(ref.container_path))
    )
    if guess in repo_files:
        return guess
    name = posixpath.basename(ref.container_path)
    same_name = sorted(
        (f for f in repo_files if posixpath.basename(f) == name), key=lambda f: (f.count("/"), f)
    )
    return same_name[0] if same_name else None


def _requirement_hint(
    config: DeployConfig, runtime: Runtime, ref: RequirementRef, name: str, found: str | None
) -> str:
    ignored = runtime.ignored.get(found) if found else None
    if ignored is not None:
        source, line, text = ignored
        return f"{found} is excluded by {source}:{line} (`{text}`); remove that line"
    if runtime.kind == "dockerfile":
        context_rel = _context_relative(found, runtime.context) if found else name
        if context_rel is None:
            return (
                f"{found} is outside the Docker build context ({runtime.context or '.'}/): move it into the "
                "context or build from a directory that contains it"
            )
        rel = posixpath.relpath(ref.container_path, runtime.workdir)
        before = (
            f" before line {ref.line}" if ref.source_file == runtime.dockerfile and ref.line else ""
        )
        return f"add `COPY {context_rel} {rel}` to {runtime.dockerfile}{before}"
    root = config.service_dir or "."
    return (
        f"only the service's root directory {root}/ is uploaded: copy {found or name} into {root}/ and "
        f"install it as `pip install -r {name}`, or make the root directory an ancestor that contains it"
    )


def _context_relative(repo_file: str, context: str) -> str | None:
    if not context:
        return repo_file
    return repo_file[len(context) + 1 :] if repo_file.startswith(context + "/") else None
