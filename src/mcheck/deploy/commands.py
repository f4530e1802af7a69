"""Shell command lines of deploy files: which server a start command runs, and what a build installs.

Commands are split with :mod:`shlex` (POSIX rules, ``&&``/``;``/``|`` as separate tokens), never with
regular expressions over the whole line, so quoting and ``sh -c "..."`` nesting are honoured.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

SERVERS = ("uvicorn", "gunicorn", "hypercorn", "granian", "fastapi")
_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
_ENV_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_APP_SPEC_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(\(.*\))?$")
_SEPARATORS = frozenset({"&&", ";", "||", "|", "&"})
# Wrappers that run the real command given after them.
_WRAPPERS = {"exec": 1, "uv": 2, "poetry": 2, "pipenv": 2, "pdm": 2, "rye": 2, "hatch": 2,
             "opentelemetry-instrument": 1, "ddtrace-run": 1, "newrelic-admin": 2, "doppler": 2, "dumb-init": 1,
             "tini": 1}
# Options that take a value, per server: their value is never the app.
_VALUE_OPTIONS = {
    "uvicorn": {"--host", "--port", "--uds", "--fd", "--workers", "--loop", "--http", "--ws", "--lifespan",
                "--interface", "--env-file", "--log-config", "--log-level", "--root-path", "--limit-concurrency",
                "--backlog", "--timeout-keep-alive", "--ssl-keyfile", "--ssl-certfile", "--app-dir",
                "--h11-max-incomplete-event-size",
                "--forwarded-allow-ips", "--header", "--reload-dir", "--reload-include", "--reload-exclude",
                "--ws-max-size", "--limit-max-requests", "--timeout-graceful-shutdown"},
    "gunicorn": {"-b", "--bind", "-w", "--workers", "-k", "--worker-class", "-t", "--timeout", "-c", "--config",
                 "--chdir", "--pythonpath", "--log-level", "--access-logfile", "--error-logfile", "-e", "--env",
                 "--threads", "--keep-alive", "--graceful-timeout", "--max-requests", "--max-requests-jitter",
                 "--forwarded-allow-ips", "--worker-connections", "--access-logformat", "-n", "--name"},
    "hypercorn": {"-b", "--bind", "-w", "--workers", "-k", "--worker-class", "-c", "--config", "--root-path",
                  "--log-level", "--access-logfile", "--error-logfile", "--keep-alive", "--graceful-timeout"},
    "granian": {"--interface", "--host", "--port", "--workers", "--threads", "--loop", "--http",
                "--working-dir", "--log-level", "--blocking-threads", "--backlog", "--url-path-prefix"},
    "fastapi": {"--host", "--port", "--app", "--workers", "--root-path", "--entrypoint", "-e"},
}


@dataclass(frozen=True)
class ServerCall:
    """A start command reduced to what decides which module Python imports, and from where.

    ``kind`` is ``"module"`` (an app spec or ``python -m``) or ``"script"`` (``python path.py``,
    ``fastapi run path.py``). ``cwd`` and ``extra_path`` are relative to the runtime working directory.
    """

    server: str
    kind: str
    target: str  # dotted module for "module", a file path for "script"
    attr: str | None = None
    factory: bool = False
    cwd: str = "."
    extra_path: tuple[str, ...] = ()
    argv: tuple[str, ...] = field(default=(), compare=False)


def split_shell(command: str) -> list[str]:
    """Tokens of a shell command line; raises ValueError on unbalanced quotes."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="&;|")
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


def strip_prefixes(argv: list[str]) -> list[str]:
    """Remove ``FOO=bar``, ``exec``, ``uv run`` and similar wrappers in front of the real program."""
    argv = list(argv)
    while argv:
        if _ENV_ASSIGNMENT_RE.match(argv[0]) or argv[0] == "env":
            argv.pop(0)
        elif posixpath.basename(argv[0]) in _WRAPPERS and (
                _WRAPPERS[posixpath.basename(argv[0])] == 1 or argv[1:2] in (["run"], ["run-program"])):
            argv = argv[_WRAPPERS[posixpath.basename(argv[0])]:]
            while argv and argv[0].startswith("-"):  # `uv run --no-sync uvicorn ...`
                argv.pop(0)
        else:
            return argv
    return argv


def find_server_argv(command: str | list[str]) -> tuple[list[str], str] | None:
    """The segment of a command line that runs a Python program, and the ``cd`` prefix before it.

    Accepts a shell string or an exec-form argv (``["sh", "-c", "..."]`` is unwrapped).
    Returns ``(argv, cwd)`` with ``cwd`` relative to where the command starts, or None.
    """
    tokens = split_shell(command) if isinstance(command, str) else list(command)
    cwd = "."
    for argv in segments(tokens):
        argv = strip_prefixes(argv)
        if not argv:
            continue
        program = posixpath.basename(argv[0])
        if program == "cd" and len(argv) >= 2:
            cwd = posixpath.normpath(posixpath.join(cwd, argv[1]))
        elif program in ("sh", "bash", "dash") and "-c" in argv[1:-1]:
            inner = find_server_argv(argv[argv.index("-c") + 1])
            if inner is not None:
                return inner[0], posixpath.normpath(posixpath.join(cwd, inner[1]))
        elif program in SERVERS or _PYTHON_RE.match(program):
            return argv, cwd
    return None


def parse_server(argv: list[str], cwd: str = ".") -> ServerCall | None:
    """What a Python start command imports; None when it is not a server or module mcheck knows."""
    program = posixpath.basename(argv[0])
    if _PYTHON_RE.match(program):
        return _parse_python(argv, cwd)
    if program in SERVERS:
        return _parse_app_server(program, argv[1:], cwd)
    return None


def _parse_python(argv: list[str], cwd: str) -> ServerCall | None:
    args = argv[1:]
    while args and args[0].startswith("-") and args[0] != "-m":
        takes_value = args[0] in ("-X", "-W")
        args = args[2:] if takes_value else args[1:]
    if not args:
        return None
    if args[0] == "-m" and len(args) >= 2:
        module = args[1]
        if module in SERVERS:
            return _parse_app_server(module, args[2:], cwd)
        return ServerCall("python", "module", module, cwd=cwd, argv=tuple(argv))
    if args[0] == "-c":
        return None
    return ServerCall("python", "script", args[0], cwd=cwd, argv=tuple(argv))


def _positionals(server: str, args: list[str]) -> list[str]:
    values = _VALUE_OPTIONS.get(server, set())
    found: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in values
        else:
            found.append(arg)
    return found


def _option(args: list[str], *names: str) -> list[str]:
    """Every value of an option given as ``--name value`` or ``--name=value``."""
    values: list[str] = []
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                values.append(args[i + 1])
            elif arg.startswith(name + "="):
                values.append(arg[len(name) + 1:])
    return values


def _parse_app_server(server: str, args: list[str], cwd: str) -> ServerCall | None:
    argv = (server, *args)
    if server == "fastapi":
        return _parse_fastapi(args, cwd, argv)
    positionals = _positionals(server, args)
    if server == "granian":
        for working_dir in _option(args, "--working-dir"):
            cwd = posixpath.normpath(posixpath.join(cwd, working_dir))
    if server == "gunicorn":
        for chdir in _option(args, "--chdir"):
            cwd = posixpath.normpath(posixpath.join(cwd, chdir))
    spec = next((p for p in positionals if _APP_SPEC_RE.match(p)), None)
    if spec is None and server == "gunicorn" and positionals:
        spec = positionals[0]  # gunicorn's `module` alone means `module:application`
    if spec is None:
        return None
    module, _, attr = spec.partition(":")
    extra = [*_option(args, "--app-dir"), *(p for v in _option(args, "--pythonpath") for p in v.split(","))]
    factory = "--factory" in args or attr.endswith(")")
    return ServerCall(server, "module", module, attr=attr.split("(")[0] or None, factory=factory, cwd=cwd,
                      extra_path=tuple(extra), argv=argv)


def _parse_fastapi(args: list[str], cwd: str, argv: tuple[str, ...]) -> ServerCall | None:
    if not args or args[0] not in ("run", "dev"):
        return None
    entrypoint = _option(args[1:], "--entrypoint", "-e")
    if entrypoint:
        module, _, attr = entrypoint[0].partition(":")
        return ServerCall("fastapi", "module", module, attr=attr or None, cwd=cwd, argv=argv)
    positionals = _positionals("fastapi", args[1:])
    attr = (_option(args[1:], "--app") or [None])[0]
    # Without a path, fastapi tries main.py, app.py, api.py, then app/main.py ...; main.py is the usual one.
    return ServerCall("fastapi", "script", positionals[0] if positionals else "main.py", attr=attr, cwd=cwd,
                      argv=argv)


@dataclass(frozen=True)
class PipInstall:
    """What one ``pip install`` (or ``uv pip install``) in a build command installs."""

    requirement_files: tuple[str, ...]  # as written, relative to the command's directory
    packages: tuple[str, ...]  # requirement specifiers given directly
    cwd: str  # relative to where the command starts


def pip_installs(command: str) -> list[PipInstall]:
    """Every ``pip install`` of a build command, with the ``cd`` that precedes it."""
    try:
        tokens = split_shell(command)
    except ValueError:
        return []
    found: list[PipInstall] = []
    cwd = "."
    for argv in segments(tokens):
        argv = strip_prefixes(argv)
        if argv and argv[0] == "cd" and len(argv) >= 2:
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
            return words[len(head):]
    if words and _PYTHON_RE.match(words[0]) and words[1:4] == ["-m", "pip", "install"]:
        return words[4:]
    return None


def _pip_install(args: list[str], cwd: str) -> PipInstall:
    files: list[str] = []
    packages: list[str] = []
    skip_value = False
    for i, arg in enumerate(args):
        if skip_value:
            skip_value = False
            continue
        if arg in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(args):
            files.append(args[i + 1])
            skip_value = True
        elif arg.startswith(("--requirement=", "--constraint=")):
            files.append(arg.split("=", 1)[1])
        elif arg.startswith("-r") and len(arg) > 2:
            files.append(arg[2:])
        elif arg in ("-e", "--editable", "-t", "--target", "--prefix", "--root", "-i", "--index-url",
                     "--extra-index-url", "-f", "--find-links", "--python", "-p", "--platform"):
            skip_value = True  # a local path or an index: not a requirement we can name
        elif not arg.startswith("-") and not _looks_like_path(arg):
            packages.append(arg)
    return PipInstall(tuple(files), tuple(packages), cwd)


def _looks_like_path(arg: str) -> bool:
    return arg.startswith((".", "/", "~")) or arg.endswith((".whl", ".tar.gz", ".zip")) or "$" in arg
