"""mcheck's one parser of shell command lines: what a start command runs, and what a build installs.

:func:`parse_command` reduces a start command (a shell line from a Procfile or ``railway.toml``, or a
Dockerfile exec-form argv) to the server it runs (uvicorn, gunicorn, hypercorn, granian, ``fastapi
run``, ``python -m mod``, ``python path.py``), the app it serves and the directory it runs from.
:func:`parse_server` gives the same answer in the shape the ``mcheck deploy`` import follower needs
(:class:`ServerCall`), and :func:`pip_installs` reads what a build command installs. The deploy-file
readers (:mod:`mcheck.deploy.start_commands`, :mod:`mcheck.deploy.configs`, both fed by :mod:`mcheck.deploy.hostfiles`)
and ``--serve`` all use this module.

Commands are split with :mod:`shlex` (POSIX rules, ``&&``/``;``/``|`` as separate tokens), never with
regular expressions over the whole line, so quoting and ``sh -c "..."`` nesting are honoured. Nothing
here imports or runs project code; ``base_dir`` is only read to map a file path to its module.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from mcheck.deploy.model import StartCommand

SERVERS = ("uvicorn", "gunicorn", "hypercorn", "granian", "fastapi")
# Options that take a value, per server: needed to tell the app argument from an option's value.
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "uvicorn": frozenset(
        {
            "--host",
            "--port",
            "--uds",
            "--fd",
            "--loop",
            "--http",
            "--ws",
            "--ws-max-size",
            "--ws-max-queue",
            "--ws-ping-interval",
            "--ws-ping-timeout",
            "--ws-per-message-deflate",
            "--lifespan",
            "--interface",
            "--env-file",
            "--log-config",
            "--log-level",
            "--root-path",
            "--limit-concurrency",
            "--backlog",
            "--limit-max-requests",
            "--timeout-keep-alive",
            "--timeout-graceful-shutdown",
            "--ssl-keyfile",
            "--ssl-certfile",
            "--ssl-keyfile-password",
            "--ssl-version",
            "--ssl-cert-reqs",
            "--ssl-ca-certs",
            "--ssl-ciphers",
            "--header",
            "--forwarded-allow-ips",
            "--app-dir",
            "--reload-dir",
            "--reload-include",
            "--reload-exclude",
            "--reload-delay",
            "--workers",
            "--h11-max-incomplete-event-size",
        }
    ),
    "gunicorn": frozenset(
        {
            "-b",
            "--bind",
            "-w",
            "--workers",
            "-k",
            "--worker-class",
            "-t",
            "--timeout",
            "-c",
            "--config",
            "--chdir",
            "--log-level",
            "--access-logfile",
            "--error-logfile",
            "--log-file",
            "--threads",
            "--graceful-timeout",
            "--keep-alive",
            "--max-requests",
            "--max-requests-jitter",
            "-e",
            "--env",
            "--pythonpath",
            "-n",
            "--name",
            "--forwarded-allow-ips",
            "--log-config",
            "--worker-connections",
            "--backlog",
            "-u",
            "--user",
            "-g",
            "--group",
            "-m",
            "--umask",
            "--access-logformat",
            "--worker-tmp-dir",
            "-p",
            "--pid",
            "--certfile",
            "--keyfile",
            "--limit-request-line",
        }
    ),
    "hypercorn": frozenset(
        {
            "-b",
            "--bind",
            "-w",
            "--workers",
            "-k",
            "--worker-class",
            "-c",
            "--config",
            "--root-path",
            "--access-logfile",
            "--error-logfile",
            "--log-level",
            "--log-config",
            "--access-logformat",
            "--backlog",
            "--graceful-timeout",
            "--keep-alive",
            "--certfile",
            "--keyfile",
            "--ca-certs",
            "--ciphers",
            "--insecure-bind",
            "--quic-bind",
            "--server-name",
            "-p",
            "--pid",
            "-m",
            "--umask",
            "-g",
            "--group",
            "-u",
            "--user",
            "--read-timeout",
            "--max-requests",
            "--max-requests-jitter",
        }
    ),
    "granian": frozenset(
        {
            "--host",
            "--port",
            "--interface",
            "--workers",
            "--threads",
            "--blocking-threads",
            "--runtime-threads",
            "--runtime-mode",
            "--loop",
            "--task-impl",
            "--http",
            "--ws",
            "--backlog",
            "--backpressure",
            "--log-level",
            "--log-config",
            "--ssl-keyfile",
            "--ssl-certificate",
            "--url-path-prefix",
            "--respawn-interval",
            "--workers-lifetime",
            "--reload-paths",
            "--reload-ignore-dirs",
            "--reload-ignore-patterns",
            "--pid-file",
            "--working-dir",
            "--env-files",
            "--process-name",
        }
    ),
    "fastapi": frozenset(
        {
            "--host",
            "--port",
            "--app",
            "--entrypoint",
            "-e",
            "--root-path",
            "--workers",
            "--forwarded-allow-ips",
            "--proxy-headers",
        }
    ),
}
# Options that change the directory the app is imported from (gunicorn, granian).
_WORKDIR_OPTIONS = ("--chdir", "--working-dir")
# Options that put directories on sys.path, relative to the working directory (uvicorn, gunicorn).
_PATH_OPTIONS = ("--app-dir", "--pythonpath")
# Commands that run the rest of their argv: (tokens to match, their options that take a value).
_WRAPPERS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("exec",), frozenset()),
    (("nohup",), frozenset()),
    (("env",), frozenset({"-u", "-C"})),
    (("dumb-init",), frozenset()),
    (("tini",), frozenset({"-s", "-p", "-e"})),
    (
        ("uv", "run"),
        frozenset(
            {
                "--with",
                "--python",
                "-p",
                "--extra",
                "--group",
                "--project",
                "--directory",
                "--package",
                "--env-file",
                "--with-requirements",
                "--index",
            }
        ),
    ),
    (("poetry", "run"), frozenset()),
    (("pipenv", "run"), frozenset()),
    (("pdm", "run"), frozenset()),
    (("hatch", "run"), frozenset()),
    (("rye", "run"), frozenset()),
    (("opentelemetry-instrument",), frozenset()),
    (("ddtrace-run",), frozenset()),
    (("newrelic-admin", "run-program"), frozenset()),
    (("doppler", "run"), frozenset()),
    (("dotenv", "run"), frozenset()),
)
_SHELLS = frozenset({"sh", "bash", "dash", "zsh"})
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
# `pkg.mod`, `pkg.mod:app`, `pkg.mod:create_app()`, `pkg.mod:create_app(debug=True)` (gunicorn).
_APP_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*(?:\(.*\))?)?$")
_PYTHON_VALUE_OPTIONS = frozenset({"-X", "-W"})


# --- what a start command runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedCommand:
    """What a start command runs, independent of where it was written.

    ``server`` is ``uvicorn``/``gunicorn``/``hypercorn``/``granian``/``fastapi``, ``python-module``
    (``python -m X``), ``python-script`` (``python path.py``), or None for anything else.
    """

    argv: tuple[str, ...]  # the server's argv, after `cd x &&`, env assignments and wrappers
    server: str | None
    app_spec: str | None = (
        None  # "pkg.app.main:app": ``()`` removed (see ``factory``), the server's default attr
    )
    factory: bool = False
    asgi: bool = False  # the server talks ASGI to ``app_spec``
    module: str | None = (
        None  # the module run: app_spec's module, ``python -m X``'s X, a script's dotted path
    )
    shell_cwd: str | None = None  # the directory `cd dir && ...` moved to
    chdir: str | None = None  # ``--chdir``/``--working-dir``, relative to ``shell_cwd``
    attr: str | None = None  # the app attribute as written; None when the command names none
    script: str | None = (
        None  # the file run by ``python path.py`` / ``fastapi run path.py``, as written
    )
    sys_path: tuple[str, ...] = ()  # ``--app-dir``/``--pythonpath`` entries, relative to ``cwd``
    # ``PYTHONPATH=src uvicorn ...`` / ``export PYTHONPATH=src && ...``: as written (None: not set)
    pythonpath: str | None = None

    @property
    def cwd(self) -> str | None:
        """Where the server imports the app from, relative to where the command starts (None: there)."""
        return _join(self.shell_cwd, self.chdir)


def parse_command(command: str | Sequence[str], *, base_dir: Path | None = None) -> ParsedCommand:
    """Parse a shell command line (``cd app && uvicorn main:app``) or an exec-form argv.

    The first segment that runs a known server wins; otherwise the last segment is returned with
    ``server`` None. Raises ``ValueError`` for unbalanced quotes. ``base_dir`` (the service root) lets
    ``fastapi run path.py`` and ``python path.py`` map a file to its module by walking up ``__init__.py``s.
    """
    return _parse_segments(_split_segments(command), None, base_dir)


def _parse_segments(
    parts: list[list[str]], cwd: str | None, base_dir: Path | None
) -> ParsedCommand:
    fallback: ParsedCommand | None = None
    pythonpath: str | None = None
    for segment in parts:
        exported = _pythonpath_assigned(segment[1:] if segment[:1] == ["export"] else segment)
        pythonpath = exported if exported is not None else pythonpath
        argv = strip_prefixes(segment)
        if not argv or segment[:1] == ["export"]:
            continue
        if argv[0] == "cd" and len(argv) > 1:
            cwd = _join(cwd, argv[1])
            continue
        inner = _shell_script(argv)
        if inner is not None:
            parsed = _parse_segments(_split_segments(inner), cwd, base_dir)
        else:
            local = (
                base_dir / cwd
                if base_dir is not None and cwd and not cwd.startswith("/")
                else base_dir
            )
            parsed = replace(_parse_argv(argv, local), shell_cwd=cwd)
        if pythonpath is not None and parsed.pythonpath is None:
            parsed = replace(parsed, pythonpath=pythonpath)
        if parsed.server is not None:
            return parsed
        fallback = parsed
    return fallback or ParsedCommand(argv=(), server=None, shell_cwd=cwd)


def _pythonpath_assigned(words: list[str]) -> str | None:
    """The value of a leading ``PYTHONPATH=...`` assignment of a simple command."""
    for word in words:
        if not _ASSIGNMENT.match(word):
            return None
        if word.startswith("PYTHONPATH="):
            return word.split("=", 1)[1]
    return None


def _shell_script(argv: list[str]) -> str | None:
    """The script of ``sh -c '...'`` (also ``bash -ec '...'``), else None."""
    if PurePosixPath(argv[0]).name not in _SHELLS:
        return None
    for i, arg in enumerate(argv[1:-1], start=1):
        if arg.startswith("-") and not arg.startswith("--") and arg.endswith("c"):
            return argv[i + 1]
    return None


def _parse_argv(argv: list[str], base_dir: Path | None) -> ParsedCommand:
    program = PurePosixPath(argv[0]).name
    if _PYTHON.match(program):
        return _parse_python(argv, base_dir)
    if program in SERVERS:
        return _parse_server(program, argv, base_dir)
    if program == "celery":
        return _parse_celery(argv)
    return ParsedCommand(argv=tuple(argv), server=None)


def _parse_celery(argv: list[str]) -> ParsedCommand:
    """``celery -A proj.tasks worker``: a worker process imports the app module it is given (celery
    finds ``app``/``celery`` in it, or a ``celery`` submodule, so no attribute is checked)."""
    app: str | None = None
    workdir: str | None = None
    for i, arg in enumerate(argv[1:], start=1):
        value = argv[i + 1] if i + 1 < len(argv) else None
        if arg in ("-A", "--app") and value:
            app = value
        elif arg.startswith("--app="):
            app = arg.split("=", 1)[1]
        elif arg.startswith("-A") and len(arg) > 2:
            app = arg[2:]
        elif arg == "--workdir" and value:
            workdir = value
        elif arg.startswith("--workdir="):
            workdir = arg.split("=", 1)[1]
    module = app.partition(":")[0] if app else None
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return ParsedCommand(argv=tuple(argv), server=None)
    return ParsedCommand(argv=tuple(argv), server="celery", module=module, chdir=workdir)


def _parse_python(argv: list[str], base_dir: Path | None) -> ParsedCommand:
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-m", "-c"):
        i += 2 if argv[i] in _PYTHON_VALUE_OPTIONS else 1
    if i + 1 < len(argv) and argv[i] == "-m":
        module = argv[i + 1]
        if module in SERVERS or module == "fastapi_cli":
            server = "fastapi" if module == "fastapi_cli" else module
            return replace(
                _parse_server(server, [server, *argv[i + 2 :]], base_dir), argv=tuple(argv)
            )
        return ParsedCommand(argv=tuple(argv), server="python-module", module=module)
    if i < len(argv) and argv[i] != "-c" and not argv[i].startswith("-"):
        return ParsedCommand(
            argv=tuple(argv),
            server="python-script",
            script=argv[i],
            module=_module_for_path(argv[i], base_dir),
        )
    return ParsedCommand(argv=tuple(argv), server=None)  # `python -c ...`, or a bare interpreter


def _parse_server(server: str, argv: list[str], base_dir: Path | None) -> ParsedCommand:
    options, positionals, flags = _split_options(argv[1:], _VALUE_OPTIONS[server])
    chdir = next((values[-1] for name in _WORKDIR_OPTIONS if (values := options.get(name))), None)
    sys_path = (
        *options.get("--app-dir", []),
        *(p for v in options.get("--pythonpath", []) for p in v.split(",")),
    )
    if server == "fastapi":
        return _parse_fastapi(argv, options, positionals, base_dir, chdir)
    reference = next((p for p in positionals if _APP_REFERENCE.match(p)), None)
    spec, factory = _split_reference(reference, server)
    factory = factory or "--factory" in flags
    worker = _last(options, "-k", "--worker-class") or ""
    interface = _last(options, "--interface") or ""
    asgi = {
        "uvicorn": interface not in ("wsgi", "asgi2"),
        "gunicorn": "uvicorn" in worker.lower(),  # gunicorn itself speaks WSGI
        "hypercorn": True,
        "granian": interface in ("asgi", "asginl"),  # granian's default interface is RSGI
    }[server]
    written_attr = reference.split("(", 1)[0].partition(":")[2] if reference else ""
    return ParsedCommand(
        argv=tuple(argv),
        server=server,
        app_spec=spec,
        factory=factory,
        asgi=asgi and spec is not None,
        module=spec.partition(":")[0] if spec else None,
        chdir=chdir,
        attr=written_attr or None,
        sys_path=sys_path,
    )


def _split_options(
    args: list[str], value_options: frozenset[str]
) -> tuple[dict[str, list[str]], list[str], set[str]]:
    """(every value of each option, positionals, flags); ``--x=v`` and ``--x v`` are both understood."""
    options: dict[str, list[str]] = {}
    positionals: list[str] = []
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and "=" in arg:
            key, _, value = arg.partition("=")
            options.setdefault(key, []).append(value)
        elif arg in value_options and i + 1 < len(args):
            options.setdefault(arg, []).append(args[i + 1])
            i += 1
        elif arg.startswith("-"):
            flags.add(arg)
        else:
            positionals.append(arg)
        i += 1
    return options, positionals, flags


def _last(options: dict[str, list[str]], *names: str) -> str | None:
    return next((values[-1] for name in names if (values := options.get(name))), None)


def _split_reference(reference: str | None, server: str) -> tuple[str | None, bool]:
    """``pkg.app:create_app()`` -> (``pkg.app:create_app``, True); a bare module gets the server's default."""
    if reference is None:
        return None, False
    factory = reference.endswith(")")
    reference = reference.split("(", 1)[0]
    if ":" not in reference and server in ("gunicorn", "hypercorn"):
        reference += ":application" if server == "gunicorn" else ":app"
    return reference, factory


def _parse_fastapi(
    argv: list[str],
    options: dict[str, list[str]],
    positionals: list[str],
    base_dir: Path | None,
    chdir: str | None,
) -> ParsedCommand:
    """``fastapi run|dev [path] [--app NAME] [--entrypoint mod:attr]``; the path defaults to main.py & co."""
    if not positionals or positionals[0] not in ("run", "dev"):
        return ParsedCommand(
            argv=tuple(argv), server="fastapi", chdir=chdir
        )  # `fastapi --version` & co
    entrypoint = _last(options, "--entrypoint", "-e")
    if entrypoint:
        module, _, attr = entrypoint.partition(":")
        return ParsedCommand(
            argv=tuple(argv),
            server="fastapi",
            app_spec=entrypoint,
            asgi=True,
            module=module,
            chdir=chdir,
            attr=attr or None,
        )
    path = positionals[1] if len(positionals) > 1 else _default_fastapi_path(base_dir)
    module = _module_for_path(path, base_dir)
    attr = _last(options, "--app")
    spec = f"{module}:{attr or 'app'}" if module else None
    return ParsedCommand(
        argv=tuple(argv),
        server="fastapi",
        app_spec=spec,
        asgi=spec is not None,
        module=module,
        chdir=chdir,
        attr=attr,
        script=path,
    )


def _default_fastapi_path(base_dir: Path | None) -> str:
    """The file ``fastapi run`` without a path picks (main.py when nothing can be looked at)."""
    for candidate in ("main.py", "app/main.py", "api/main.py", "app.py", "api.py"):
        if base_dir is not None and (base_dir / candidate).is_file():
            return candidate
    return "main.py"


def _module_for_path(path: str, base_dir: Path | None) -> str | None:
    """``app/main.py`` -> ``app.main`` when ``app/`` is a package, else ``main`` (its directory on sys.path)."""
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return None
    parts = [pure.stem] if pure.stem != "__init__" else []
    parent = pure.parent
    while base_dir is not None and parent.name and (base_dir / parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    if base_dir is None:  # nothing to walk: the path as written is the best guess
        parts = [*[p for p in pure.parent.parts if p not in (".", "/")], pure.stem]
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _join(outer: str | None, inner: str | None) -> str | None:
    """``outer/inner`` normalised; an absolute ``inner`` wins; None stands for "." (no change)."""
    if inner is None:
        return outer
    joined = posixpath.normpath(
        inner if outer is None or inner.startswith("/") else posixpath.join(outer, inner)
    )
    return None if joined == "." else joined


# --- the same answer for the deploy import follower ------------------------------------------------------


@dataclass(frozen=True)
class ServerCall:
    """A start command reduced to what decides which module Python imports, and from where.

    ``kind`` is ``"module"`` (an app spec or ``python -m``) or ``"script"`` (``python path.py``,
    ``fastapi run path.py``). ``cwd`` and ``extra_path`` are relative to the runtime working directory.
    """

    server: str  # uvicorn, gunicorn, hypercorn, granian, fastapi, or python (for `-m` and scripts)
    kind: str
    target: str  # dotted module for "module", a file path for "script"
    attr: str | None = None
    factory: bool = False
    cwd: str = "."
    extra_path: tuple[str, ...] = ()
    argv: tuple[str, ...] = field(default=(), compare=False)


def parse_server(argv: Sequence[str], cwd: str = ".") -> ServerCall | None:
    """What a Python start command imports, run from ``cwd``; None when it is not a server or module
    mcheck knows."""
    parsed = parse_command(list(argv))
    if parsed.server is None:
        return None
    server = "python" if parsed.server.startswith("python-") else parsed.server
    workdir = posixpath.normpath(posixpath.join(cwd, parsed.cwd or "."))
    if parsed.script is not None:
        return ServerCall(
            server, "script", parsed.script, attr=parsed.attr, cwd=workdir, argv=parsed.argv
        )
    if parsed.module is None:
        return None
    return ServerCall(
        server,
        "module",
        parsed.module,
        attr=parsed.attr,
        factory=parsed.factory,
        cwd=workdir,
        extra_path=parsed.sys_path,
        argv=parsed.argv,
    )


# --- shell plumbing --------------------------------------------------------------------------------------


def logical_lines(text: str) -> list[tuple[int, str]]:
    """A shell script's (or recipe's) commands with their first line: comment lines dropped,
    ``\\`` continuations joined."""
    lines: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if pending is None and (not stripped or stripped.startswith("#")):
            continue
        first, joined = pending if pending is not None else (number, "")
        joined = f"{joined} {stripped}".strip()
        if joined.endswith("\\"):
            pending = (first, joined[:-1])
            continue
        pending = None
        lines.append((first, joined))
    return lines


def split_shell(command: str) -> list[str]:
    """Tokens of a shell command line, separators as their own tokens; raises ValueError on unbalanced quotes."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def segments(tokens: list[str]) -> list[list[str]]:
    """``a && b ; c`` -> ``[[a], [b], [c]]``."""
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _split_segments(command: str | Sequence[str]) -> list[list[str]]:
    return segments(split_shell(command)) if isinstance(command, str) else [list(command)]


def strip_prefixes(argv: list[str]) -> list[str]:
    """Remove ``FOO=bar``, ``exec``, ``uv run --with x`` and similar wrappers in front of the real program."""
    changed = True
    while changed and argv:
        changed = False
        while argv and _ASSIGNMENT.match(argv[0]):
            argv, changed = argv[1:], True
        for tokens, value_options in _WRAPPERS:
            if tuple(argv[: len(tokens)]) == tokens:
                argv, changed = _skip_options(argv[len(tokens) :], value_options), True
                break
    return argv


def _skip_options(argv: list[str], value_options: frozenset[str]) -> list[str]:
    i = 0
    while i < len(argv) and (argv[i].startswith("-") or _ASSIGNMENT.match(argv[i])):
        if argv[i] == "--":
            return argv[i + 1 :]
        i += 2 if argv[i] in value_options else 1
    return argv[i:]


# --- what a build command installs -----------------------------------------------------------------------


@dataclass(frozen=True)
class PipInstall:
    """What one ``pip install`` (or ``uv pip install``) in a build command installs."""

    requirement_files: tuple[str, ...]  # as written, relative to the command's directory
    packages: tuple[str, ...]  # requirement specifiers given directly
    cwd: str  # relative to where the command starts
    # local projects: directories (`.`, `/opt/core`, `-e ../core`) and `git+URL#subdirectory=DIR`
    local: tuple[str, ...] = ()
    target: str | None = (
        None  # `--target DIR`, as written: the packages go there, not site-packages
    )


def shell_commands(command: str) -> list[list[str]]:
    """The simple commands of a shell line (``a && b; c``), each without env-assignment and
    wrapper prefixes; [] when the line does not split (unbalanced quotes)."""
    try:
        tokens = split_shell(command)
    except ValueError:
        return []
    return [argv for argv in (strip_prefixes(a) for a in segments(tokens)) if argv]


def made_directories(command: str) -> list[str]:
    """The directories ``mkdir`` (with or without ``-p``) creates in a shell command, as written."""
    return [
        a
        for argv in shell_commands(command)
        if posixpath.basename(argv[0]) == "mkdir"
        for a in argv[1:]
        if not a.startswith("-")
    ]


def pip_installs(command: str) -> list[PipInstall]:
    """Every ``pip install`` of a build command, with the ``cd`` that precedes it."""
    found: list[PipInstall] = []
    cwd = "."
    for argv in shell_commands(command):
        if argv[0] == "cd" and len(argv) >= 2:
            cwd = posixpath.normpath(posixpath.join(cwd, argv[1]))
            continue
        args = _pip_install_args(argv)
        if args is not None:
            found.append(_pip_install(args, cwd))
    return found


def _pip_install_args(argv: list[str]) -> list[str] | None:
    """The arguments after ``install`` for ``pip``, ``pip3``, ``python -m pip`` and ``uv pip``."""
    words = [posixpath.basename(argv[0]), *argv[1:]] if argv else []
    for head in (["pip", "install"], ["pip3", "install"], ["uv", "pip", "install"]):
        if words[: len(head)] == head:
            return words[len(head) :]
    if words and _PYTHON.match(words[0]) and words[1:4] == ["-m", "pip", "install"]:
        return words[4:]
    return None


# Options of `pip install` whose value is a path or an index, not a requirement mcheck can name.
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-t",
        "--target",
        "--prefix",
        "--root",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--python",
        "-p",
        "--platform",
    }
)


def _pip_install(args: list[str], cwd: str) -> PipInstall:
    found: dict[str, list[str]] = {"files": [], "packages": [], "local": []}
    target: str | None = None
    skip_value = False
    for i, arg in enumerate(args):
        if skip_value:
            skip_value = False
            continue
        value = args[i + 1] if i + 1 < len(args) else None
        if arg in ("-t", "--target") and value:
            target = value
        elif arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        if arg in ("-e", "--editable", "-r", "--requirement", "-c", "--constraint") and value:
            found["local" if arg in ("-e", "--editable") else "files"].append(value)
            skip_value = True
        elif arg in _PIP_VALUE_OPTIONS:
            skip_value = True
        else:
            kind, item = _pip_argument(arg)
            if kind is not None:
                found[kind].append(item)
    return PipInstall(
        tuple(found["files"]), tuple(found["packages"]), cwd, tuple(found["local"]), target
    )


def _pip_argument(arg: str) -> tuple[str | None, str]:
    """What one argument of ``pip install`` names: a requirements file, a package, a local project."""
    if arg.startswith(("--requirement=", "--constraint=")):
        return "files", arg.split("=", 1)[1]
    if arg.startswith("-r") and len(arg) > 2:
        return "files", arg[2:]
    if "git+" in arg and "subdirectory=" in arg:
        return "local", arg  # maybe this very repository: mapped to its directory when it has one
    if arg.startswith("-"):
        return None, arg
    # pip reads an argument with a slash as a path (a requirement has none outside a URL)
    if not _looks_like_path(arg) and not ("/" in arg and "://" not in arg and "@" not in arg):
        return "packages", arg
    if "$" not in arg and not arg.endswith(_ARCHIVES):
        return "local", arg
    return None, arg


_ARCHIVES = (".whl", ".tar.gz", ".zip")


@dataclass(frozen=True)
class RequirementsLine:
    """A line of a requirements file that pip reads as more than a name from the index."""

    line: int  # 1-based
    kind: str  # "local": a project of this repository or a path; "include": ``-r``/``-c`` FILE
    value: str  # the path or ``git+`` URL, or the included file as written
    text: str  # the line as written, for messages


def requirements_file_lines(text: str) -> list[RequirementsLine]:
    """The local projects (``-e ../core``, ``./packages/core``, ``core @ file:///opt/core``,
    ``git+URL#subdirectory=DIR``) and included files (``-r base.txt``) of a requirements file.
    pip and uv read a local path relative to the directory they run in, an include relative to the
    file that names it (uv PR #1421 documents both)."""
    found: list[RequirementsLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        entry = _requirements_entry(line)
        if entry is not None:
            found.append(RequirementsLine(number, entry[0], entry[1], line))
    return found


def _requirements_entry(line: str) -> tuple[str, str] | None:
    option = re.match(r"(-e|--editable|-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)", line)
    if option is not None:
        flag, value = option.groups()
        return ("local" if flag in ("-e", "--editable") else "include"), value
    if line.startswith("-"):
        return None
    direct = re.match(r"[A-Za-z0-9][\w.\-\[\], ]*@\s*(\S+)", line)
    value = direct.group(1) if direct else line.split(";", 1)[0].split()[0]
    if value.startswith("file:"):
        value = re.sub(r"^file:(//(localhost)?)?", "", value).split("#", 1)[0] or "."
    kind, item = _pip_argument(value)
    return ("local", item) if kind == "local" else None


def git_subdirectory(url: str) -> str | None:
    """The ``subdirectory=`` of a ``git+URL#egg=x&subdirectory=DIR`` requirement, else None."""
    fragment = url.partition("#")[2]
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "subdirectory" and value:
            return posixpath.normpath(value)
    return None


def repository_of(url: str) -> str:
    """``host/owner/name`` of a git URL in any form pip and git accept (``git+https://...@ref#...``,
    ``git+ssh://git@host/...``, ``git@host:owner/name.git``), for comparing two of them."""
    text = url.removeprefix("git+").split("#", 1)[0]
    scp = re.match(r"^[\w.-]+@([\w.-]+):(?!//)(.+)$", text)
    if scp is not None:
        host, path = scp.groups()
    else:
        rest = text.split("://", 1)[-1]
        host, _, path = rest.partition("/")
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    path = re.sub(r"@[^/]*$", "", path.strip("/"))  # a pip `@ref` after the repository
    return f"{host.lower()}/{path.removesuffix('.git').lower()}"


def _looks_like_path(arg: str) -> bool:
    return (
        arg.startswith((".", "/", "~")) or arg.endswith((".whl", ".tar.gz", ".zip")) or "$" in arg
    )


# --- a start command as a deploy file writes it ------------------------------------------------------


def make_start_command(
    source_file: str,
    line: int | None,
    command: str | Sequence[str],
    health_path: str | None,
    *,
    cwd: str | None = None,
    process: str | None = None,
    base_dir: Path | None = None,
    strict: bool = False,
) -> StartCommand:
    """The one constructor of :class:`StartCommand`: ``command`` parsed by :func:`parse_command`.

    ``cwd`` is the directory the file runs the command in (render ``rootDir``, Dockerfile ``WORKDIR``);
    ``base_dir`` lets ``fastapi run path.py`` map a file to its module. A command that cannot be split
    (unbalanced quotes) raises ``ValueError`` when ``strict``, else has an empty ``argv``.
    """
    raw = command if isinstance(command, str) else shlex.join(command)
    try:
        parsed = parse_command(command, base_dir=base_dir)
    except ValueError:
        if strict:
            raise
        return StartCommand(
            source_file, line, (), health_path=health_path, cwd=cwd, raw=raw, process=process
        )
    return StartCommand(
        source_file=source_file,
        line=line,
        argv=parsed.argv,
        server=parsed.server,
        app_spec=parsed.app_spec,
        factory=parsed.factory,
        health_path=health_path,
        cwd=_join_cwd(cwd, parsed.shell_cwd),
        chdir=parsed.chdir,
        raw=raw,
        process=process,
        asgi=parsed.asgi,
        module=parsed.module,
        pythonpath=parsed.pythonpath,
    )


def _join_cwd(outer: str | None, inner: str | None) -> str | None:
    """The command's directory under the file's (render ``rootDir``, Dockerfile ``WORKDIR``)."""
    if outer is None or inner is None or inner.startswith("/"):
        return inner or outer
    return posixpath.join(outer, inner)
