"""Host side of the app probe: entry points and ASGI apps, checked from the installed wheel.

:func:`run_app_probe` runs :mod:`mcheck.probes.scripts.app_probe` inside the target venv and parses its JSON;
:func:`serve_app` starts the real server command (``--serve``); :func:`app_targets` decides which ASGI
apps to check: ``--asgi``, ``[tool.mcheck] asgi``, or the project's deploy files
(:func:`discover_asgi_targets`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from mcheck.deploy.commands import parse_command
from mcheck.deploy.start_commands import DeployFileError, read_start_commands
from mcheck.findings import AppOutcome
from mcheck.probes.protocol import (
    AppProbeResult,
    AppResult,
    AppTarget,
    ServeResult,
    parse_app_answer,
)
from mcheck.probes.runner import (
    Probe,
    ProbeError,
    probe_environment,
    run_probe,
    start_in_own_session,
    stop_process_group,
)
from mcheck.sandbox import Sandbox

LOG_TAIL_LINES = 40
BODY_EXCERPT = 500
POLL_INTERVAL = 0.2
STOP_GRACE = 5.0


class AppProbeError(Exception):
    """The probe itself failed (not the code it probed): it crashed, hung or wrote no result."""


# --- the in-venv probe ----------------------------------------------------------------------------


def run_app_probe(
    python: Path,
    entry_points: dict[str, dict[str, str]],
    apps: Sequence[AppTarget],
    *,
    timeout: float,
    workdir: Path,
    jobs: int = 4,
    sandbox: Sandbox | None = None,
    env: dict[str, str] | None = None,
) -> AppProbeResult:
    """Resolve every entry point and exercise every app in the venv of ``python``.

    ``timeout`` applies per entry point and per app (import, lifespan, health GET and shutdown
    together); ``env`` is added to the probe's allow-listed environment. Raises :class:`ProbeError`.
    """
    if not entry_points and not apps:
        return AppProbeResult()
    flat = [
        {"group": g, "name": n, "value": v}
        for g, names in entry_points.items()
        for n, v in names.items()
    ]
    request = {
        "timeout": timeout,
        "jobs": jobs,
        "entry_points": flat,
        "apps": [{"spec": a.spec, "factory": a.factory, "health": a.health} for a in apps],
    }
    guard = (len(flat) + len(apps)) * (timeout + 5) + 60  # a backstop: the probe limits each item
    probe = Probe("app", "app_probe.py", python, workdir, guard, sandbox=sandbox, env=env)
    answer = run_probe(probe, request)
    try:
        return parse_app_answer(answer, list(apps))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(f"the app probe wrote a malformed answer ({exc!r})") from None


def app_outcomes(result: AppProbeResult) -> list[AppOutcome]:
    """The report's summary of every app checked, in the order they were checked (served ones last)."""
    return [_outcome(app) for app in result.apps]


def _outcome(app: AppResult) -> AppOutcome:
    source = app.target.source
    if app.serve is not None:
        serve = app.serve
        return AppOutcome(
            spec=app.spec,
            source=source,
            mode="serve",
            ok=serve.ready,
            health=urllib.parse.urlsplit(serve.url).path,
            status=serve.status,
            seconds=serve.seconds,
            command=serve.command,
        )
    http = app.http
    return AppOutcome(
        spec=app.spec,
        source=source,
        mode="in-process",
        ok=app.exercised_cleanly,
        health=http.path if http else None,
        status=http.status if http else None,
        seconds=app.seconds,
    )


def _fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# --- serving for real ------------------------------------------------------------------------------


def serve_app(
    python: Path, target: AppTarget, command: list[str] | None, *, timeout: float, workdir: Path
) -> AppResult:
    """Start the server command from the venv on 127.0.0.1:$PORT, poll until ready or ``timeout``, stop it.

    ``command`` is the deploy file's start command (argv, ``$PORT`` allowed); None runs
    ``python -m uvicorn SPEC``. Ready means a 2xx from the health path, or any status below 500 from
    ``/`` when no health path is known. The server runs from an empty directory, so only the installed
    wheel can be imported.
    """
    port = free_port()
    argv = server_argv(python, target, command, port)
    cwd, home = _fresh_dir(workdir / "serve-cwd"), _fresh_dir(workdir / "serve-home")
    bin_dir = str(python.parent)
    env = probe_environment(
        workdir,
        {
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "VIRTUAL_ENV": str(python.parent.parent),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONUNBUFFERED": "1",
            "HOME": str(home),
        },
    )
    url = f"http://127.0.0.1:{port}{target.health or '/'}"
    log_path = workdir / "serve.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = start_in_own_session(argv, cwd=cwd, env=env, log=log)
        try:
            outcome = _poll(
                proc, url, need_2xx=target.health is not None, deadline=started + timeout
            )
        finally:
            stop_process_group(proc)
    serve = ServeResult(
        command=tuple(argv),
        port=port,
        url=url,
        seconds=time.monotonic() - started,
        log_tail=_log_tail(log_path),
        **outcome,
    )
    return AppResult(target=target, status="ok", serve=serve)


def server_argv(
    python: Path, target: AppTarget, command: Sequence[str] | None, port: int
) -> list[str]:
    """The argv to run: ``$PORT`` substituted, bound to 127.0.0.1:port, programs taken from the venv."""
    if command:
        argv = [_substitute_port(a, port) for a in command]
        parsed = parse_command(argv)
        # `fastapi run path.py` and unknown programs need the checkout; serve the installed app instead.
        if parsed.server in ("uvicorn", "gunicorn", "hypercorn", "granian"):
            return _bind_local(_venv_program(python, list(parsed.argv)), parsed.server, port)
    argv = [str(python), "-m", "uvicorn", target.spec, *(["--factory"] if target.factory else [])]
    return _bind_local(argv, "uvicorn", port)


def _substitute_port(arg: str, port: int) -> str:
    for pattern in ("${PORT:-", "${PORT-"):  # ${PORT:-8000}: a default the host overrides
        while pattern in arg:
            start = arg.index(pattern)
            end = arg.find("}", start)
            arg = arg[:start] + str(port) + (arg[end + 1 :] if end >= 0 else "")
    return arg.replace("${PORT}", str(port)).replace("$PORT", str(port))


def _venv_program(python: Path, argv: list[str]) -> list[str]:
    program = Path(argv[0]).name
    if program.startswith("python"):
        return [str(python), *argv[1:]]
    candidate = python.parent / program
    return (
        [str(candidate), *argv[1:]]
        if candidate.exists()
        else [str(python), "-m", program, *argv[1:]]
    )


def _bind_local(argv: list[str], server: str, port: int) -> list[str]:
    if server in ("gunicorn", "hypercorn"):
        return _set_option(argv, ("-b", "--bind"), f"127.0.0.1:{port}")
    return _set_option(_set_option(argv, ("--host",), "127.0.0.1"), ("--port",), str(port))


def _set_option(argv: list[str], names: tuple[str, ...], value: str) -> list[str]:
    """Replace the value of the first of ``names`` present (``--x v`` or ``--x=v``), else append it."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg in names and i + 1 < len(out):
            out[i + 1] = value
            return out
        if any(arg.startswith(name + "=") for name in names):
            out[i] = f"{arg.partition('=')[0]}={value}"
            return out
    return [*out, names[-1], value]


def _poll(proc: subprocess.Popen, url: str, *, need_2xx: bool, deadline: float) -> dict[str, Any]:
    """Request ``url`` until it answers acceptably, the server exits, or the deadline passes."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    status: int | None = None
    body = ""
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            return {
                "ready": False,
                "status": status,
                "body": body,
                "reason": f"the server exited with code {code}",
            }
        answer = _request(opener, url, timeout=max(0.5, min(5.0, deadline - time.monotonic())))
        if answer is not None:
            status, body = answer
            if (200 <= status < 300) if need_2xx else status < 500:
                return {"ready": True, "status": status, "body": body}
        time.sleep(POLL_INTERVAL)
    reason = f"no acceptable answer from {url} within the timeout" + (
        f" (last status {status})" if status else ""
    )
    return {"ready": False, "status": status, "body": body, "reason": reason}


def _request(
    opener: urllib.request.OpenerDirector, url: str, *, timeout: float
) -> tuple[int, str] | None:
    """(status, body excerpt), or None while nothing listens yet."""
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read(BODY_EXCERPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(BODY_EXCERPT).decode("utf-8", "replace")
    except (
        urllib.error.URLError,
        http.client.HTTPException,
        ConnectionError,
        TimeoutError,
        OSError,
    ):
        return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


# --- which apps to check ---------------------------------------------------------------------------


def discover_asgi_targets(
    project_root: Path,
    wheel_top_level: Sequence[str],
    *,
    search_up_to: Path | None = None,
    errors: list[DeployFileError] | None = None,
) -> list[AppTarget]:
    """ASGI apps that the deploy files of ``project_root`` start from this wheel.

    Only commands of an ASGI server whose app module's top-level name is one the wheel installs count:
    ``uvicorn main:app`` run from the checkout is not the wheel's business. With ``search_up_to`` (a
    monorepo's git root) the deploy files of every directory from ``project_root`` up to it are read too.
    Malformed deploy files are skipped (appended to ``errors`` when given); ``mcheck deploy`` reports them.
    """
    top_level = set(wheel_top_level)
    targets: dict[str, AppTarget] = {}
    for directory in _directories_up_to(project_root, search_up_to):
        for command in read_start_commands(directory, errors=[] if errors is None else errors):
            if not command.asgi or command.app_spec is None or command.module is None:
                continue
            if command.module.split(".", 1)[0] not in top_level:
                continue
            source = (
                f"{_relative(directory / command.source_file, project_root)}:{command.line or 1}"
            )
            found = AppTarget(
                spec=command.app_spec,
                factory=command.factory,
                health=command.health_path,
                source=source,
                command=command.argv,
            )
            previous = targets.get(command.app_spec)
            if previous is None or (previous.health is None and found.health is not None):
                targets[command.app_spec] = found
    return list(targets.values())


def app_targets(
    *,
    specs: Sequence[str] = (),
    specs_source: str = "--asgi",
    health: str | None = None,
    project_root: Path | None = None,
    wheel_top_level: Sequence[str] = (),
    search_up_to: Path | None = None,
) -> list[AppTarget]:
    """The apps to check: ``specs`` (from ``specs_source``, ``--asgi`` or ``[tool.mcheck]``), else the
    deploy files' ASGI commands.

    A spec ending in ``()`` is a factory (gunicorn's and hypercorn's convention). The health path is
    ``health`` (``--health`` or ``[tool.mcheck] health``), else the deploy file's for the same spec.
    """
    discovered = (
        discover_asgi_targets(project_root, wheel_top_level, search_up_to=search_up_to)
        if project_root is not None
        else []
    )
    if specs:
        return [_explicit(spec, specs_source, health, discovered) for spec in specs]
    return [
        AppTarget(t.spec, t.factory, health or t.health, t.source, t.command) for t in discovered
    ]


def _explicit(
    spec: str, source: str, health: str | None, discovered: Iterable[AppTarget]
) -> AppTarget:
    factory = spec.endswith("()")
    spec = spec.removesuffix("()")
    match = next((t for t in discovered if t.spec == spec), None)
    return AppTarget(
        spec=spec,
        factory=factory or (match is not None and match.factory),
        health=health or (match.health if match else None),
        source=source,
        command=match.command if match else (),
    )


def _directories_up_to(start: Path, stop: Path | None) -> list[Path]:
    start = start.resolve()
    directories = [start]
    if stop is None:
        return directories
    stop = stop.resolve()
    if stop != start and stop not in start.parents:
        return directories
    for parent in start.parents:
        if stop not in (parent, *parent.parents):
            break
        directories.append(parent)
    return directories


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return os.path.relpath(path.resolve(), root.resolve()).replace(os.sep, "/")
