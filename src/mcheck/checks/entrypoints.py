"""MC401-MC405: entry points and the ASGI app, as resolved and exercised from the installed wheel."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from packaging.utils import canonicalize_name

from mcheck.catalogue import ROOT_CAUSE_CODES
from mcheck.checks import CheckContext, check
from mcheck.checks.import_failures import extra_named_in, missing_modules
from mcheck.findings import Finding, SubjectKind
from mcheck.probes.protocol import (
    AppProbeResult,
    AppResult,
    EntryPointResult,
    ExceptionInfo,
    ServeResult,
)
from mcheck.wheel.artifacts import module_name_for

EXCERPT = 300
# Import names whose distribution is named differently, for recognising a module an extra provides.
KNOWN_DISTRIBUTIONS = {
    "yaml": "pyyaml",
    "PIL": "pillow",
    "Crypto": "pycryptodome",
    "Cryptodome": "pycryptodomex",
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "jwt": "pyjwt",
    "dotenv": "python-dotenv",
    "multipart": "python-multipart",
    "magic": "python-magic",
    "attr": "attrs",
    "google": "protobuf",
    "serial": "pyserial",
    "usb": "pyusb",
    "zmq": "pyzmq",
    "OpenSSL": "pyopenssl",
    "jose": "python-jose",
    "socks": "pysocks",
    "psycopg2": "psycopg2-binary",
}


@check("MC401", "MC402", "MC403", "MC404", "MC405", reads=(*ROOT_CAUSE_CODES, "MC301", "MC304"))
def entry_points_and_apps(ctx: CheckContext, app: AppProbeResult) -> Iterator[Finding]:
    for entry_point in app.entry_points:
        if entry_point.status != "ok" and not _needs_optional_extra(ctx, entry_point):
            yield _entry_point_finding(entry_point, _root_causes(ctx, entry_point.error))
    for result in app.apps:
        yield from _app_findings(ctx, result)


# --- MC401 ----------------------------------------------------------------------------------------


def _entry_point_finding(ep: EntryPointResult, cause: str | None) -> Finding:
    what = f"entry point {ep.name!r} in [{ep.group}] ({ep.value})"
    reason = {
        "invalid": "is not of the form `module:attribute`",
        "attribute_missing": f"does not resolve: {ep.module} has no attribute {ep.missing_attribute!r}",
        "import_error": f"does not resolve: importing {ep.module} raised {_describe(ep.error)}",
        "timeout": f"does not resolve: importing {ep.module} did not finish within the timeout",
        "exited": f"does not resolve: importing {ep.module} exited with code {ep.exit_code}",
        "crashed": f"does not resolve: importing {ep.module} was killed by signal {ep.signal}",
    }[ep.status]
    hint = (
        (
            f"the `{ep.name}` command crashes on first use; fix the target in [project.scripts]/"
            f"[project.entry-points] or the code it names"
        )
        if ep.group in ("console_scripts", "gui_scripts")
        else None
    )
    return Finding(
        "MC401", path=ep.value, message=f"{what} {reason}", hint=cause or hint, kind="entry_point"
    )


def _needs_optional_extra(ctx: CheckContext, ep: EntryPointResult) -> bool:
    """The import failed only because a module of an optional extra is not installed (MC304's business)."""
    error = ep.error
    if ep.status == "exited" and extra_named_in(ep.output_tail, ctx.wheel) is not None:
        return (
            True  # it exits telling the user which extra to install: by design (the probe's MC304)
        )
    if ep.status != "import_error" or error is None:
        return False
    missing = [name.split(".", 1)[0] for name in missing_modules(error)]
    if _declared_extras(ep.value) and missing:
        # `blackd = "blackd:patched_main [d]"`: the entry point itself says it needs the extra; a
        # third-party module it lacks is that extra's (black's own ImportError says "No module
        # named 'aiohttp' ... re-install black with the '[d]' extra").
        return all(top not in ctx.wheel.top_level_names for top in missing)
    if error.type != "ModuleNotFoundError" or not error.missing_name:
        return False
    top = error.missing_name.split(".", 1)[0]
    if top in ctx.wheel.top_level_names:
        return False  # a module of this wheel is missing: that is a packaging error, not an extra
    if any(f.code == "MC304" and f.path == ep.module for f in ctx.earlier):
        return True
    extras = ctx.wheel.extra_requirements()
    candidates = {canonicalize_name(top), canonicalize_name(KNOWN_DISTRIBUTIONS.get(top, top))}
    return any(name in extras for name in candidates)


_ENTRY_POINT_EXTRAS = re.compile(r"\[([^\]]*)\]\s*$")


def _declared_extras(value: str) -> list[str]:
    """The extras an entry point's value names (``module:attr [extra1, extra2]``)."""
    match = _ENTRY_POINT_EXTRAS.search(value)
    return [e.strip() for e in match.group(1).split(",") if e.strip()] if match else []


# --- MC402-MC405 ----------------------------------------------------------------------------------


def _app_findings(ctx: CheckContext, app: AppResult) -> Iterator[Finding]:
    if (
        app.serve is None
        and app.status != "ok"
        and not (app.status == "factory_error" and app.kind == "asgi3")
    ):
        declared = f" (declared in {app.target.source})"
        yield Finding(
            "MC402",
            path=app.spec,
            message=f"{app.spec}{declared} {_import_failure(app)}",
            hint=_root_cause_hint(ctx, app),
            kind="app",
        )
        return
    yield from exercised_app_findings(app, path=app.spec, kind="app")


def exercised_app_findings(
    app: AppResult, *, path: str, line: int | None = None, kind: SubjectKind = "file"
) -> list[Finding]:
    """MC403-MC405 for an app that imported: the one place they are written, for ``mcheck wheel``
    (``path`` the app's spec, ``kind`` "app") and ``mcheck deploy`` (``path`` the deploy file,
    ``line`` its line)."""
    findings = [_exercised(app, path, line)]
    return [dataclasses.replace(f, kind=kind) for f in findings if f is not None]


def _exercised(app: AppResult, path: str, line: int | None) -> Finding | None:
    if app.serve is not None:
        return _serve_finding(app, app.serve, path, line)
    problem = _not_asgi(app)
    if problem is not None:
        declared = f" (declared in {app.target.source})"
        return Finding(
            "MC403",
            path=path,
            message=f"{app.spec}{declared} {problem[0]}",
            hint=problem[1],
            line=line,
        )
    if app.lifespan is not None and app.lifespan.status in ("failed", "timeout"):
        return _lifespan_finding(app, path, line)
    if app.http is not None and not app.http.ok:
        return _http_finding(app, path, line)
    return None


def _import_failure(app: AppResult) -> str:
    module = app.target.module
    return {
        "invalid": "is not of the form `module:attribute`",
        "import_error": f"does not import from the installed wheel: importing {module} raised {_describe(app.error)}",
        "attribute_missing": f"does not resolve: {module} imported but has no attribute "
        f"{app.missing_attribute!r}",
        "factory_error": f"could not be created: calling the factory raised {_describe(app.error)}",
        "timeout": f"did not import within the timeout (importing {module} blocks)",
        "exited": f"killed the server: importing or starting it exited with code {app.exit_code}",
        "crashed": f"killed the server: importing or starting it died from signal {app.signal}",
    }[app.status]


def _not_asgi(app: AppResult) -> tuple[str, str | None] | None:
    """(message, hint) when the object is not something an ASGI server can run as declared."""
    signature = f" {app.signature}" if app.signature else ""
    if app.target.factory:
        if app.kind == "asgi3":
            return (
                "is started with --factory but is already an ASGI app: the server calls it with no "
                "arguments",
                "drop --factory (or the `()` suffix)",
            )
        if app.factory_result_kind != "asgi3":
            return (
                f"is a factory whose result is not an ASGI app (it returned a {app.factory_result_kind} "
                "object)",
                None,
            )
        return None
    if app.kind == "factory":
        if app.factory_result_kind == "asgi3":
            return (
                f"is a factory{signature} that returns an ASGI app, but the server is not told to call it",
                f"start it with `uvicorn --factory {app.spec}` (gunicorn/hypercorn: `{app.spec}()`)",
            )
        return f"is a callable taking no arguments{signature}, not an ASGI app", None
    return {
        "asgi3": None,
        "not_callable": ("is not callable, so it cannot be an ASGI app", None),
        "wsgi": (
            f"is a WSGI app{signature} (environ, start_response) handed to an ASGI server",
            "serve it with a WSGI server (gunicorn), or wrap it: `asgiref.wsgi.WsgiToAsgi(app)` / "
            "`a2wsgi.WSGIMiddleware(app)`",
        ),
        "sync_asgi": (
            f"takes (scope, receive, send){signature} but is not `async`: ASGI servers run it "
            "as an ASGI 2 app and the first request fails",
            "make it `async def`",
        ),
        "unknown": (
            f"is not an ASGI 3 callable{signature}: expected `async def app(scope, receive, send)`",
            None,
        ),
    }.get(app.kind or "unknown")


def _about(app: AppResult, path: str) -> str:
    """``spec: `` to open a message, unless the finding's path already is the spec (every reporter
    prints the path before the message)."""
    return "" if path == app.spec else f"{app.spec}: "


def _lifespan_finding(app: AppResult, path: str, line: int | None) -> Finding:
    assert app.lifespan is not None
    lifespan = app.lifespan
    if lifespan.status == "timeout":
        message = (
            f"{_about(app, path)}lifespan {lifespan.phase} did not complete: {lifespan.message}"
        )
    else:
        raised = f"; the app raised {_describe(lifespan.error)}" if lifespan.error else ""
        message = f"{_about(app, path)}lifespan {lifespan.phase} failed{raised}"
    detail = _last_lines(lifespan.message) if lifespan.status == "failed" else ""
    hint = f"the app reported:\n{detail}" if detail else app.output_tail.strip()[-EXCERPT:] or None
    return Finding("MC404", path=path, message=message, hint=hint, line=line)


def _http_finding(app: AppResult, path: str, line: int | None) -> Finding:
    assert app.http is not None
    http = app.http
    if http.timed_out:
        outcome = "did not answer within the timeout"
    elif http.status is None:
        outcome = f"raised {_describe(http.error)} before sending a response (servers answer 500)"
    else:
        outcome = f"answered {http.status}"
        if http.error is not None:
            outcome += f" after the app raised {_describe(http.error)}"
    body = f"; body: {_excerpt(http.body)}" if http.body.strip() else ""
    return Finding(
        "MC405",
        path=path,
        message=f"{_about(app, path)}GET {http.path} {outcome}{body}",
        hint="the host's health check fails on this, marks the deploy unhealthy and rolls back",
        line=line,
    )


def _serve_finding(
    app: AppResult, serve: ServeResult, path: str, line: int | None
) -> Finding | None:
    if serve.ready:
        return None
    command = " ".join(serve.command)
    log = f"server log:\n{serve.log_tail}" if serve.log_tail.strip() else None
    if serve.status is not None:
        body = f"; body: {_excerpt(serve.body)}" if serve.body.strip() else ""
        answered = f"answered GET {serve.url} with {serve.status}{body}"
        return Finding(
            "MC405",
            path=path,
            message=f"{_about(app, path)}`{command}` {answered}",
            hint=log,
            line=line,
        )
    return Finding(
        "MC404",
        path=path,
        message=f"{_about(app, path)}`{command}` did not start serving: {serve.reason}",
        hint=log,
        line=line,
    )


# --- root causes and text -------------------------------------------------------------------------


def _root_causes(ctx: CheckContext, error: ExceptionInfo | None) -> str | None:
    """The earlier findings that explain a failed import: a dropped file, an unshipped package, ..."""
    missing = _missing_names(error)
    causes = [
        f
        for f in ctx.earlier
        if f.code in ROOT_CAUSE_CODES and any(_explains(f, m) for m in missing)
    ]
    if not causes:
        return None
    listed = "; ".join(
        f"{f.code} {f.path}{f':{f.line}' if f.line else ''}: {f.message}" for f in causes[:3]
    )
    return f"root cause (see above): {listed}"


def _root_cause_hint(ctx: CheckContext, app: AppResult) -> str | None:
    cause = _root_causes(ctx, app.error)
    if cause:
        return cause
    same = next((f for f in ctx.earlier if f.code == "MC301" and f.path == app.target.module), None)
    return f"the import probe reports the same failure ({same.code} {same.path})" if same else None


def _missing_names(error: ExceptionInfo | None) -> list[str]:
    if error is None:
        return []
    return [e.missing_name for e in (error, *error.chain) if e.missing_name]


def _explains(finding: Finding, missing: str) -> bool:
    path = finding.path or ""
    if finding.code == "MC101":
        module = module_name_for(path) or ""
        return (
            module == missing
            or module.startswith(missing + ".")
            or missing.startswith(module + ".")
        )
    if finding.code == "MC103":
        module = path.removesuffix(".py").removesuffix("/").replace("/", ".")
        return module == missing
    top = missing.split(".", 1)[0]
    named = re.search(rf"(?<![\w.]){re.escape(top)}(?!\w)", finding.message) is not None
    return path.split(".", 1)[0] == top or named


def _describe(error: ExceptionInfo | None) -> str:
    if error is None:
        return "an exception"
    frame = error.raising_frame
    where = f" at {frame.file}:{frame.line}" if frame else ""
    return f"{error.type}: {_excerpt(error.message)}{where}"


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 3] + "..."


def _last_lines(text: str, count: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-count:])
