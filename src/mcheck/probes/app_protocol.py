"""Typed results of the app probe: entry points and ASGI apps, resolved from the installed wheel.

The probe script (:mod:`mcheck.probes.scripts.app_probe`) runs inside the target venv and writes JSON;
:func:`mcheck.probes.apps.run_app_probe` parses it into these objects. The JSON protocol is documented in
the probe script's docstring; keep both sides in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mcheck.probes.protocol import ExceptionInfo

# "invalid": the value is not ``module[:attr]``; "attribute_missing": the module imported, the attribute
# did not resolve; "exited"/"crashed"/"timeout": importing the module killed or blocked the child.
EntryPointStatus = Literal["ok", "invalid", "import_error", "attribute_missing", "timeout", "exited", "crashed"]
# How far an app got: "ok" means it imported (and, for a factory, the factory returned something).
AppStatus = Literal["ok", "invalid", "import_error", "attribute_missing", "factory_error", "timeout", "exited",
                    "crashed"]
# What the object behind the spec is, by its call signature (see the probe script's ``classify``).
AppKind = Literal["asgi3", "wsgi", "factory", "sync_asgi", "not_callable", "unknown"]
LifespanStatus = Literal["ok", "unsupported", "failed", "timeout"]


@dataclass(frozen=True)
class AppTarget:
    """An ASGI app to check, and where it was declared."""

    spec: str  # "pkg.app.main:app"
    factory: bool = False  # the server is told to call it (``--factory``, gunicorn's ``create_app()``)
    health: str | None = None  # "/api/health"
    source: str = "--asgi"  # "Procfile:1", "railway.toml:4", "[tool.mcheck]", "--asgi"
    command: tuple[str, ...] = ()  # the deploy file's start command, for ``--serve``; () when not from one

    @property
    def module(self) -> str:
        return self.spec.partition(":")[0]


@dataclass(frozen=True)
class EntryPointResult:
    group: str  # "console_scripts"
    name: str  # "mytool"
    value: str  # "pkg.cli:main"
    status: EntryPointStatus
    error: ExceptionInfo | None = None  # for "import_error" and "attribute_missing"
    missing_attribute: str | None = None  # the first attribute of the chain that did not resolve
    exit_code: int | None = None
    signal: int | None = None
    output_tail: str = ""
    seconds: float = 0.0

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()


@dataclass(frozen=True)
class LifespanResult:
    status: LifespanStatus
    phase: Literal["startup", "shutdown"] = "startup"
    message: str = ""  # the app's ``lifespan.*.failed`` message, or what went wrong
    error: ExceptionInfo | None = None  # what the app raised, when it raised


@dataclass(frozen=True)
class HttpResult:
    path: str
    status: int | None  # None when the app never started a response
    body: str = ""  # the start of the body, decoded leniently
    error: ExceptionInfo | None = None  # what the app raised while handling the request
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class ServeResult:
    """The outcome of starting the real server command (``--serve``)."""

    command: tuple[str, ...]
    port: int
    ready: bool  # the server answered the readiness request acceptably
    url: str
    status: int | None = None  # the last HTTP status seen
    body: str = ""
    reason: str = ""  # why it is not ready: "exited with code 1", "no answer within 30s", ...
    log_tail: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class AppResult:
    target: AppTarget
    status: AppStatus
    kind: AppKind | None = None  # None when the object could not be obtained
    signature: str = ""  # "(scope, receive, send)", for the MC403 message
    factory_result_kind: AppKind | None = None  # a factory without --factory: what calling it returned
    error: ExceptionInfo | None = None
    missing_attribute: str | None = None
    lifespan: LifespanResult | None = None
    http: HttpResult | None = None
    serve: ServeResult | None = None
    exit_code: int | None = None
    signal: int | None = None
    output_tail: str = ""
    seconds: float = 0.0

    @property
    def spec(self) -> str:
        return self.target.spec

    @property
    def exercised_cleanly(self) -> bool:
        """Imported, an ASGI app as declared, started, and answered the health path (if any) with 2xx.

        ``--serve`` only needs to start apps for which this holds: the others already have a finding.
        """
        asgi = self.factory_result_kind == "asgi3" if self.target.factory else self.kind == "asgi3"
        lifespan_ok = self.lifespan is None or self.lifespan.status in ("ok", "unsupported")
        return self.status == "ok" and asgi and lifespan_ok and (self.http is None or self.http.ok)


@dataclass(frozen=True)
class AppProbeResult:
    entry_points: tuple[EntryPointResult, ...] = ()
    apps: tuple[AppResult, ...] = ()
