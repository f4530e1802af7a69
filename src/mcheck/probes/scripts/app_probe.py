"""mcheck app probe: resolves entry points and exercises ASGI apps from the installed wheel, as JSON.

Runs INSIDE the target venv as ``<venv python> -I app_probe.py <in.json> <out.json>`` with a temporary
working directory. Self-contained: standard library only, Python 3.8+, no mcheck imports.

Input (``in.json``)::

    {"protocol": 1, "timeout": 30.0, "jobs": 4,
     "entry_points": [{"group": "console_scripts", "name": "tool", "value": "pkg.cli:main"}],
     "apps": [{"spec": "pkg.app.main:app", "factory": false, "health": "/api/health"}]}

Output (``out.json``), results in input order::

    {"protocol": 1, "python_version": "3.11.9",
     "entry_points": [{"group", "name", "value",
                       "status": "ok|invalid|import_error|attribute_missing|timeout|exited|crashed",
                       "error": <exception>|null, "missing_attribute": str|null,
                       "exit_code": int|null, "signal": int|null, "output_tail": str, "seconds": float}],
     "apps": [{"spec", "factory", "health",
               "status": "ok|invalid|import_error|attribute_missing|factory_error|timeout|exited|crashed",
               "kind": "asgi3|wsgi|factory|sync_asgi|not_callable|unknown"|null, "signature": str,
               "factory_result_kind": <kind>|null, "error": <exception>|null, "missing_attribute": str|null,
               "lifespan": {"status": "ok|unsupported|failed|timeout", "phase": "startup|shutdown",
                            "message": str, "error": <exception>|null}|null,
               "http": {"path": str, "status": int|null, "body": str, "error": <exception>|null,
                        "timed_out": bool, "routes": [str]}|null,
               "exit_code", "signal", "output_tail", "seconds"}]}

``routes`` is filled only when the health path answered 404: the GET paths without parameters the
app's router declares (Starlette, FastAPI and other routers exposing ``routes`` with ``path`` and
``methods``; mounts followed), so the host can name the route that was meant.

``<exception>`` is the import probe's shape: ``{"type", "message", "missing_name", "frames": [{"file",
"line", "function", "source"}], "chain": [<exception>...]}``, frames outermost first.

Isolation: every entry point and every app runs in its own child (``app_probe.py --one task.json
result.json``), the leader of a new session, so a hang, ``sys.exit`` or crash cannot take the probe with
it; the whole process group is killed afterwards. On Linux the probe is also a child subreaper: a process
that left its group for a new session (``setsid``, a double fork) is re-parented to the probe rather than
to init, and every descendant still alive when the probe ends (or gets SIGTERM) is killed. The per-item
timeout covers import, lifespan startup, the health ``GET`` and shutdown together.
"""
# os.path calls are deliberate: the script stays importable on any Python 3.8+ without extra imports.
# asyncio.TimeoutError is not the builtin TimeoutError before Python 3.11, hence UP041.
# ruff: noqa: PTH100, PTH109, PTH118, PTH120, UP041

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

# The shared support module is copied next to this script by the host (mcheck.probes.runner). With
# `-I` the script's directory is not on sys.path: add it for this one import only.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from _mcheck_probe_support import (
        OutputTail,
        become_subreaper,
        exit_on_sigterm,
        kill_descendants,
        kill_process_group,
        traceback_frames,
        write_result,
    )
    from _mcheck_probe_support import exception_info as _support_exception_info
    from _mcheck_probe_support import exit_code as _exit_code
    from _mcheck_probe_support import (
        read_result as _read_result,
    )
    from _mcheck_probe_support import (
        text as _text,
    )
finally:
    del sys.path[0]


PROTOCOL = 1
TAIL_BYTES = 4096
BODY_BYTES = 2048
KILL_GRACE = 3.0  # extra seconds an app child gets to report its own (more precise) timeout

_dumps = json.dumps  # bound early: user code that monkeypatches json must not break reporting
_replace = os.replace
_exit = os._exit


# --- exception description (same shape as the import probe) ---------------------------------------


def _frames(exc: BaseException) -> list:
    here = os.path.abspath(__file__)
    # asyncio's and importlib's own frames only say how the code was reached, not where it failed.
    machinery = tuple(
        os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (asyncio, importlib)
    )

    def skip(filename: str) -> bool:
        path = os.path.abspath(filename)
        return (
            filename.startswith("<frozen importlib") or path == here or path.startswith(machinery)
        )

    return traceback_frames(exc, skip)


def exception_info(exc: BaseException, with_chain: bool = True) -> dict:
    return _support_exception_info(exc, _frames, with_chain)


# --- resolving "module:attr.sub" ------------------------------------------------------------------


def parse_reference(value: str):
    """``"pkg.cli:main [extra]"`` -> ``("pkg.cli", ["main"])``; None when it is not a valid reference."""
    text = value.split("[", 1)[0].strip()
    module, _, attrs = text.partition(":")
    module, attrs = module.strip(), attrs.strip()
    if not module or not all(part.isidentifier() for part in module.split(".")):
        return None
    chain = attrs.split(".") if attrs else []
    if not all(part.isidentifier() for part in chain):
        return None
    return module, chain


def resolve(module_name: str, chain: list, result: dict):
    """Import the module and walk the attribute chain; fill ``result`` and return the object (or None)."""
    try:
        obj = importlib.import_module(module_name)
    except SystemExit as exc:
        result.update(status="exited", exit_code=_exit_code(exc.code))
        return None
    except BaseException as exc:  # any failure of user code is a result
        result.update(status="import_error", error=exception_info(exc))
        return None
    for attr in chain:
        try:
            obj = getattr(obj, attr)
        except BaseException as exc:  # a property or module __getattr__ may raise anything
            result.update(
                status="attribute_missing", missing_attribute=attr, error=exception_info(exc)
            )
            return None
    return obj


# --- classifying an app object --------------------------------------------------------------------


def _positional_counts(sig: inspect.Signature):
    required, maximum = 0, 0
    for param in sig.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            maximum += 1
            if param.default is param.empty:
                required += 1
        elif param.kind == param.VAR_POSITIONAL:
            maximum = 10**6
        elif param.kind == param.KEYWORD_ONLY and param.default is param.empty:
            required += 10**6  # cannot be called positionally at all
    return required, maximum


def _is_async(obj) -> bool:
    """Mirror uvicorn's auto-detection: a coroutine function, or an object whose ``__call__`` is one."""
    if inspect.iscoroutinefunction(obj):
        return True
    if inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isclass(obj):
        return False
    return inspect.iscoroutinefunction(getattr(obj, "__call__", None))  # noqa: B004 (the method itself)


def classify(obj):
    """``(kind, signature)`` of an app candidate.

    asgi3: ``async`` and callable as ``(scope, receive, send)`` (or a class whose instances are
    awaitable, as uvicorn accepts); wsgi: a sync callable taking ``(environ, start_response)``;
    factory: a sync callable needing no arguments; sync_asgi: sync but takes three arguments, which
    uvicorn would run as an ASGI 2 app and fail on the first request.
    """
    if not callable(obj):
        return "not_callable", ""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "unknown", ""
    required, maximum = _positional_counts(sig)
    text = _text(sig, 200)
    takes_three = required <= 3 <= maximum
    if inspect.isclass(obj) and hasattr(obj, "__await__") and takes_three:
        return "asgi3", text
    if _is_async(obj):
        return ("asgi3" if takes_three else "unknown"), text
    if required == 0:
        return "factory", text
    if required == 2:
        return "wsgi", text
    if required == 3:
        return "sync_asgi", text
    return "unknown", text


# --- talking ASGI to the app ----------------------------------------------------------------------


class Lifespan:
    """The server side of the ASGI lifespan protocol, with uvicorn's ``lifespan=auto`` semantics."""

    def __init__(self, app, state: dict) -> None:
        self.app = app
        self.scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": state,
        }
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.sent: list = []
        self.new_message = asyncio.Event()
        self.received = False
        self.error = None
        self.task = None

    async def receive(self) -> dict:
        self.received = True
        return await self.inbox.get()

    async def send(self, message: dict) -> None:
        self.sent.append(message)
        self.new_message.set()

    async def _main(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = exc

    async def _wait_for(self, wanted: tuple, timeout: float):
        """The first sent message of a ``wanted`` type; None if the app returned or raised first."""
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout
        while True:
            for message in self.sent:
                if isinstance(message, dict) and message.get("type") in wanted:
                    return message
            if self.task.done():
                return None
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError
            self.new_message.clear()
            waiter = asyncio.ensure_future(self.new_message.wait())
            await asyncio.wait(
                {waiter, self.task}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()

    async def startup(self, timeout: float) -> dict:
        self.inbox.put_nowait({"type": "lifespan.startup"})
        self.task = asyncio.ensure_future(self._main())
        wanted = ("lifespan.startup.complete", "lifespan.startup.failed")
        return await self._outcome(wanted, timeout, "startup")

    async def shutdown(self, timeout: float) -> dict:
        self.inbox.put_nowait({"type": "lifespan.shutdown"})
        wanted = ("lifespan.shutdown.complete", "lifespan.shutdown.failed")
        return await self._outcome(wanted, timeout, "shutdown")

    async def _outcome(self, wanted: tuple, timeout: float, phase: str) -> dict:
        result = {"status": "ok", "phase": phase, "message": "", "error": None}
        try:
            message = await self._wait_for(wanted, timeout)
        except asyncio.TimeoutError:
            waited = "sent no reply" if self.received else "never called receive()"
            result.update(status="timeout", message=f"the app {waited} within {timeout:.1f}s")
            return result
        if message is not None:
            if message["type"].endswith(".failed"):
                result.update(status="failed", message=_text(message.get("message", "")))
            return result
        # The app returned or raised without answering: uvicorn (lifespan=auto) treats a startup like
        # that as "lifespan unsupported" and serves anyway; during shutdown it is a real failure.
        if self.error is not None:
            result["error"] = exception_info(self.error)
        result["status"] = (
            "unsupported" if phase == "startup" else ("failed" if self.error else "ok")
        )
        return result

    async def close(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.wait({self.task}, timeout=1.0)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


def _http_scope(path: str, state: dict) -> dict:
    from urllib.parse import unquote

    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"mcheck"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state),
    }


async def http_get(app, path: str, state: dict, timeout: float) -> dict:
    """Send one ``GET path`` through the ASGI interface and collect the response."""
    result = {
        "path": path,
        "status": None,
        "body": "",
        "error": None,
        "timed_out": False,
        "routes": [],
    }
    body = bytearray()
    done = asyncio.Event()
    requested = [False]

    async def receive() -> dict:
        if not requested[0]:
            requested[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message.get("type") == "http.response.start":
            result["status"] = int(message.get("status", 0))
        elif message.get("type") == "http.response.body":
            body.extend(bytes(message.get("body", b""))[: BODY_BYTES - len(body)])
            if not message.get("more_body", False):
                done.set()

    try:
        await asyncio.wait_for(app(_http_scope(path, state), receive, send), timeout)
    except asyncio.TimeoutError:
        result["timed_out"] = not done.is_set()
    except Exception as exc:
        result["error"] = exception_info(exc)
    result["body"] = bytes(body).decode("utf-8", "replace")
    if result["status"] == 404:
        result["routes"] = declared_get_paths(app)
    return result


ROUTE_LIMIT = 200  # paths reported at most: enough to find a health route, bounded for huge apps


def declared_get_paths(app, prefix: str = "", depth: int = 0) -> list:
    """The GET paths without parameters an app's router declares, mounts followed (read with
    getattr only: a router that is not Starlette-like gives [])."""
    paths = []
    try:
        routes = list(getattr(app, "routes", None) or [])
    except Exception:
        return paths
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue
        below = getattr(route, "routes", None)
        if below and depth < 4:  # a Mount or a sub-router
            paths.extend(declared_get_paths(route, prefix + path.rstrip("/"), depth + 1))
            continue
        methods = getattr(route, "methods", None)
        if (methods is None or "GET" in methods) and "{" not in path:
            paths.append(prefix + path)
        if len(paths) >= ROUTE_LIMIT:
            break
    return paths[:ROUTE_LIMIT]


async def exercise(app, health, timeout: float) -> dict:
    """Lifespan startup, the health GET (when a path is known), lifespan shutdown, all within timeout."""
    loop = asyncio.get_event_loop()
    deadline = loop.time() + timeout

    def remaining() -> float:
        return max(0.1, deadline - loop.time())

    state: dict = {}
    lifespan = Lifespan(app, state)
    outcome = {"lifespan": await lifespan.startup(remaining()), "http": None}
    try:
        if outcome["lifespan"]["status"] in ("failed", "timeout"):
            return outcome
        if health:
            outcome["http"] = await http_get(app, health, state, remaining())
        if lifespan.running:
            shutdown = await lifespan.shutdown(remaining())
            if shutdown["status"] != "ok":
                outcome["lifespan"] = shutdown
        return outcome
    finally:
        await lifespan.close()


# --- one task, in a child process -----------------------------------------------------------------


def run_entry_point(task: dict) -> dict:
    result = {
        "group": task["group"],
        "name": task["name"],
        "value": task["value"],
        "status": "ok",
        "error": None,
        "missing_attribute": None,
        "exit_code": None,
        "signal": None,
        "output_tail": "",
        "seconds": 0.0,
    }
    parsed = parse_reference(task["value"])
    if parsed is None:
        result["status"] = "invalid"
        return result
    resolve(parsed[0], parsed[1], result)
    return result


def run_app(task: dict, timeout: float) -> dict:
    result = {
        "spec": task["spec"],
        "factory": bool(task.get("factory")),
        "health": task.get("health"),
        "status": "ok",
        "kind": None,
        "signature": "",
        "factory_result_kind": None,
        "error": None,
        "missing_attribute": None,
        "lifespan": None,
        "http": None,
        "exit_code": None,
        "signal": None,
        "output_tail": "",
        "seconds": 0.0,
    }
    started = time.monotonic()
    parsed = parse_reference(task["spec"])
    if parsed is None or not parsed[1]:
        result["status"] = "invalid"
        return result
    obj = resolve(parsed[0], parsed[1], result)
    if result["status"] != "ok":
        return result
    result["kind"], result["signature"] = classify(obj)
    app = _app_from(obj, result)
    if app is None:
        return result
    budget = max(0.5, timeout - (time.monotonic() - started))
    result.update(asyncio.run(exercise(app, task.get("health"), budget)))
    return result


def _app_from(obj, result: dict):
    """The ASGI app to exercise, or None when ``result`` already says why there is none."""
    if result["factory"] or result["kind"] == "factory":
        try:
            made = obj()
        except SystemExit as exc:
            result.update(status="exited", exit_code=_exit_code(exc.code))
            return None
        except BaseException as exc:  # the factory's own failure is the finding
            if result["factory"]:
                result.update(status="factory_error", error=exception_info(exc))
            return None
        result["factory_result_kind"] = classify(made)[0]
        # Without --factory the server would treat the factory itself as the app: report, do not run.
        if not result["factory"] or result["factory_result_kind"] != "asgi3":
            return None
        return made
    return obj if result["kind"] == "asgi3" else None


def child_main(task_path: str, result_path: str) -> None:
    with open(task_path, encoding="utf-8") as fh:
        task = json.load(fh)
    me = os.getpid()
    started = time.monotonic()
    if task["kind"] == "entry_point":
        try:
            result = run_entry_point(task["item"])
        except SystemExit as exc:
            result = dict(task["item"], status="exited", exit_code=_exit_code(exc.code))
    else:
        try:
            result = run_app(task["item"], float(task["timeout"]))
        except SystemExit as exc:  # the app called sys.exit() during lifespan or the request
            result = dict(task["item"], status="exited", exit_code=_exit_code(exc.code))
    result["seconds"] = time.monotonic() - started
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(
            BaseException
        ):  # a closed or replaced stream must not stop the report
            stream.flush()
    if os.getpid() == me:  # user code that forked: only the original child reports
        write_result(result, result_path)
    _exit(0)


# --- parent: one child per task, timeouts, results ------------------------------------------------


def run_task(kind: str, item: dict, timeout: float, workdir: str, index: int) -> dict:
    base = os.path.join(workdir, f"{kind}-{index}")
    task_path, result_path = base + ".task.json", base + ".result.json"
    with open(task_path, "w", encoding="utf-8") as fh:
        json.dump({"kind": kind, "item": item, "timeout": timeout}, fh)
    limit = timeout + (KILL_GRACE if kind == "app" else 0.0)
    started = time.monotonic()
    output = OutputTail(TAIL_BYTES)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), "--one", task_path, result_path],
            stdin=subprocess.DEVNULL,
            stdout=output.write_fd,
            stderr=subprocess.STDOUT,
            start_new_session=(os.name == "posix"),
        )
    finally:
        output.child_started()
    timed_out = False
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
    kill_process_group(proc)  # also reaps servers or threads the user code left behind
    proc.wait()
    result = _read_result(result_path)
    if result is None:
        result = dict(item, status="timeout" if timed_out else "exited", error=None)
        if not timed_out and proc.returncode < 0:
            result.update(status="crashed", signal=-proc.returncode)
        elif not timed_out:
            result["exit_code"] = proc.returncode
    result["output_tail"] = output.tail().decode("utf-8", "replace")
    result.setdefault("seconds", time.monotonic() - started)
    return result


# --- containment: descendants that left their process group (same as the import probe's) ------------


def main(in_path: str, out_path: str) -> None:
    with open(in_path, encoding="utf-8") as fh:
        request = json.load(fh)
    become_subreaper()
    exit_on_sigterm()
    timeout = float(request.get("timeout", 30.0))
    jobs = max(1, int(request.get("jobs", 4)))
    workdir = tempfile.mkdtemp(prefix="mcheck-app-probe-", dir=os.getcwd())
    tasks = [("entry_point", item) for item in request.get("entry_points", [])]
    tasks += [("app", item) for item in request.get("apps", [])]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(run_task, kind, item, timeout, workdir, i)
            for i, (kind, item) in enumerate(tasks)
        ]
        results = [f.result() for f in futures]
    kill_descendants()  # servers and daemons that escaped their task's process group into a session of their own
    n_entry_points = len(request.get("entry_points", []))
    write_result(
        {
            "protocol": PROTOCOL,
            "python_version": ".".join(str(n) for n in sys.version_info[:3]),
            "entry_points": results[:n_entry_points],
            "apps": results[n_entry_points:],
        },
        out_path,
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        child_main(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        main(sys.argv[1], sys.argv[2])
    else:
        sys.stderr.write("usage: app_probe.py IN.json OUT.json | --one TASK.json RESULT.json\n")
        sys.exit(2)
