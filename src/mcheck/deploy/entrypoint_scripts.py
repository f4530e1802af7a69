"""Start commands that run a shell script: the server the script starts is the start command.

``ENTRYPOINT ["./entrypoint.sh"]`` that migrates and then ends in ``exec gunicorn app:app``, a Procfile
``web: sh scripts/start.sh``, and the docker-entrypoint pattern (the script ends in ``exec "$@"``, so
``CMD`` is what runs) are read from the script the container holds at that path; its ``cd`` lines
move the server's directory. Nothing is executed: the script's lines are parsed as its start command
would be.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from mcheck.deploy.commands import (
    logical_lines,
    make_start_command,
    parse_command,
    split_shell,
)
from mcheck.deploy.model import Runtime, StartCommand

_SHELLS = frozenset({"sh", "bash", "dash", "zsh"})
_PASS_THROUGH = re.compile(r'^(exec\s+)?"?\$(@|\{@\})"?$')  # exec "$@": run the arguments
_MAX_DEPTH = 3  # a script that runs a script that runs the server


def through_scripts(
    start: StartCommand, runtime: Runtime, read: Callable[[str], str | None], depth: int = 0
) -> StartCommand:
    """``start`` itself when it runs a server mcheck knows or no script of the container; else the
    server command the script runs, located at the script's line (or, for ``exec "$@"``, the
    arguments the script is given, at the line that gives them)."""
    if start.server is not None or not start.argv or depth >= _MAX_DEPTH:
        return start
    script, arguments = _script_of(list(start.argv))
    if script is None:
        return start
    base = posixpath.normpath(posixpath.join(runtime.workdir, start.cwd or "."))
    repo_file = runtime.files.get(posixpath.normpath(posixpath.join(base, script)))
    text = read(repo_file) if repo_file is not None else None
    if text is None:
        return start
    found = _server_in(text, repo_file, start, arguments)
    if found is None:
        return start
    return through_scripts(found, runtime, read, depth + 1)


def _script_of(argv: list[str]) -> tuple[str | None, list[str]]:
    """The script a command runs and its arguments: ``sh start.sh a``, ``./entrypoint.sh a``."""
    program = PurePosixPath(argv[0]).name
    if program in _SHELLS:
        rest = [a for a in argv[1:] if a not in ("-e", "-x", "-ex", "-eu", "-eux")]
        if rest and not rest[0].startswith("-"):
            return rest[0], rest[1:]
        return None, []
    if argv[0].endswith(".sh") or "/" in argv[0]:
        return argv[0], argv[1:]
    return None, []


def _server_in(
    text: str, repo_file: str, start: StartCommand, arguments: list[str]
) -> StartCommand | None:
    """The first line that ``exec``s a server (the script ends there), else the last line that runs
    one; ``cd`` lines before it move its directory."""
    cwd = start.cwd
    last: StartCommand | None = None
    for number, line in logical_lines(text):
        if _PASS_THROUGH.match(line):
            if not arguments:
                continue
            passed = make_start_command(
                start.source_file, start.line, arguments, start.health_path, process=start.process
            )
            return dataclasses.replace(passed, cwd=_join(cwd, passed.cwd))
        words = _words(line)
        if words[:1] == ["cd"] and len(words) == 2:
            cwd = _join(cwd, words[1])
            continue
        try:
            parsed = parse_command(line)
        except ValueError:
            continue
        if parsed.server is None:
            if words[:1] == ["exec"] and _script_of(words[1:] or ["-"])[0] is not None:
                # the script hands over to another script: followed by the caller
                return make_start_command(repo_file, number, line, start.health_path, cwd=cwd)
            continue
        found = make_start_command(
            repo_file, number, line, start.health_path, cwd=cwd, process=start.process
        )
        if words[:1] == ["exec"]:
            return found
        last = found
    return last


def _words(line: str) -> list[str]:
    try:
        return split_shell(line)
    except ValueError:
        return []


def _join(outer: str | None, inner: str | None) -> str | None:
    if outer is None or inner is None or inner.startswith("/"):
        return inner or outer
    return posixpath.normpath(posixpath.join(outer, inner))
