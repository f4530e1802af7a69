"""The ``mcheck`` command line: argument parsing, exit codes and where output goes. No checking logic."""

from __future__ import annotations

import difflib
import os
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from mcheck import __version__
from mcheck.errors import Interrupted, UsageError, interrupt_on_signals
from mcheck.findings import Report
from mcheck.settings import TESTS_MODES, setting_help

INTERNAL_ERROR = 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Build, install and import your package the way your users will.",
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """mcheck: catch the ModuleNotFoundError before your users do."""


# Options both commands take, declared once.
Formats = Annotated[
    list[str] | None,
    typer.Option(
        "--format", "-f", help="text, json, junit, sarif or github; repeat to write several."
    ),
]
Outputs = Annotated[
    list[Path] | None,
    typer.Option(
        "--output", "-o", help="File for the --format at the same position; '-' or none: stdout."
    ),
]
Python = Annotated[str | None, typer.Option(help=setting_help("python"))]
Pythons = Annotated[list[str] | None, typer.Option("--python", help=setting_help("python"))]
Timeout = Annotated[float | None, typer.Option(help=setting_help("timeout"))]
Select = Annotated[list[str] | None, typer.Option(help=setting_help("select"))]
Ignore = Annotated[list[str] | None, typer.Option(help=setting_help("ignore"))]
PerPathIgnores = Annotated[list[str] | None, typer.Option(help=setting_help("per-path-ignores"))]
FailOn = Annotated[str | None, typer.Option(help=setting_help("fail-on"))]
Quiet = Annotated[
    int, typer.Option("--quiet", "-q", count=True, help="Only errors and the summary.")
]
Verbose = Annotated[
    int, typer.Option("--verbose", "-v", count=True, help="Also notes and stage timings.")
]


FixOption = Annotated[
    bool,
    typer.Option(
        "--fix",
        help="Apply the findings' mechanical fixes, each proven first by a re-run on a copy "
        "(its finding gone, no new one); not over uncommitted changes.",
    ),
]
DiffOption = Annotated[
    bool,
    typer.Option(
        "--diff",
        help="Print the proven fixes as a unified diff on stdout and write nothing (the report "
        "goes to stderr unless -o says otherwise).",
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="--fix even over uncommitted changes to those files.")
]


@app.command()
def wheel(
    targets: Annotated[
        list[Path] | None,
        typer.Argument(help="Project directories or .whl files (default: the current directory)."),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(
            help="Source tree of a given .whl (default: the current directory if it is a project)."
        ),
    ] = None,
    formats: Formats = None,
    outputs: Outputs = None,
    python: Pythons = None,
    timeout: Timeout = None,
    build_timeout: Annotated[float | None, typer.Option(help=setting_help("build-timeout"))] = None,
    extras: Annotated[
        list[str] | None, typer.Option("--extras", help=setting_help("extras"))
    ] = None,
    select: Select = None,
    ignore: Ignore = None,
    per_path_ignores: PerPathIgnores = None,
    fail_on: FailOn = None,
    asgi: Annotated[list[str] | None, typer.Option(help=setting_help("asgi"))] = None,
    health: Annotated[str | None, typer.Option(help=setting_help("health"))] = None,
    serve: Annotated[
        bool, typer.Option(help="Also start the real server command and poll the health path.")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Modules imported in parallel.")] = max(
        1, os.cpu_count() or 1
    ),
    keep: Annotated[
        bool, typer.Option(help="Keep the temporary work directory (build, venv, probe logs).")
    ] = False,
    sandbox: Annotated[
        bool,
        typer.Option(
            help="Run the build backend and the probes under bubblewrap: no network, "
            "read-only file system outside their temp dirs."
        ),
    ] = False,
    cache: Annotated[
        bool | None, typer.Option("--cache/--no-cache", help=setting_help("cache"))
    ] = None,
    release: Annotated[
        bool | None, typer.Option("--release/--no-release", help=setting_help("release"))
    ] = None,
    tests: Annotated[
        str | None,
        typer.Option(
            "--tests",
            help=setting_help("tests"),
        ),
    ] = None,
    tests_path: Annotated[
        list[str] | None, typer.Option("--tests-path", help=setting_help("tests-path"))
    ] = None,
    tests_timeout: Annotated[float | None, typer.Option(help=setting_help("tests-timeout"))] = None,
    pytest_args: Annotated[
        list[str] | None,
        typer.Option(
            "--pytest-arg", help="One argument for pytest (repeatable); the same as after `--`."
        ),
    ] = None,
    fix: FixOption = False,
    diff: DiffOption = False,
    force: ForceOption = False,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Check share K of N of the targets (sorted by path), e.g. 2/8, for CI fan-out."
        ),
    ] = None,
    quiet: Quiet = 0,
    verbose: Verbose = 0,
) -> None:
    """Check the wheel of a project (or a given .whl): build, install, import, diff."""
    from mcheck.api import check_wheel

    settings = {
        "python": python,
        "timeout": timeout,
        "extras": extras,
        "select": select,
        "ignore": ignore,
        "per_path_ignores": per_path_ignores,
        "fail_on": fail_on,
        "asgi": asgi,
        "health": health,
        "cache": cache,
        "build_timeout": build_timeout,
        "release": release,
        "tests": _tests_value(tests),
        "tests_path": tests_path,
        "tests_timeout": tests_timeout,
    }
    progress = _progress_printer(verbose)

    def check_one(target: Path) -> Report:
        return check_wheel(
            target,
            source=source,
            jobs=jobs,
            keep=keep,
            serve=serve,
            sandbox=sandbox,
            pytest_args=pytest_args or (),
            fix="diff" if diff else ("write" if fix else None),
            force=force,
            progress=progress,
            **settings,
        )

    def check_targets() -> list[Report]:
        from mcheck.fanout import parse_shard
        from mcheck.fanout import shard as share
        from mcheck.wheel.discover import workspace_targets

        expanded = [m for target in targets or [Path()] for m in workspace_targets(target)]
        if shard is not None:
            expanded = share(expanded, *parse_shard(shard))
        reports = _check_all(expanded, check_one)
        if diff:  # the diff alone on stdout, so that `mcheck wheel --diff > fix.patch` works
            sys.stdout.write("".join(r.fix_diff or "" for r in reports))
        return reports

    if diff and not outputs:
        outputs = [Path("/dev/stderr")] * len(formats or ["text"])
    _run(check_targets, formats, outputs, quiet, verbose)


@app.command()
def deploy(
    service_dir: Annotated[
        Path, typer.Argument(help="The service's root directory on the host.")
    ] = Path(),
    repo_root: Annotated[
        Path | None,
        typer.Option(
            "--repo-root", help="Repository root (default: the git top level, else SERVICE_DIR)."
        ),
    ] = None,
    formats: Formats = None,
    outputs: Outputs = None,
    python: Python = None,
    timeout: Timeout = None,
    install: Annotated[
        bool,
        typer.Option(
            help="Install the service's requirements and import its start target "
            "(--no-install: static checks only)."
        ),
    ] = True,
    select: Select = None,
    ignore: Ignore = None,
    per_path_ignores: PerPathIgnores = None,
    fail_on: FailOn = None,
    env_file: Annotated[str | None, typer.Option(help=setting_help("env-file"))] = None,
    keep: Annotated[bool, typer.Option(help="Keep the temporary work directory.")] = False,
    sandbox: Annotated[
        bool,
        typer.Option(
            help="Run the start target and the app probe under bubblewrap: no "
            "network, read-only file system outside their temp dirs."
        ),
    ] = False,
    fix: FixOption = False,
    diff: DiffOption = False,
    force: ForceOption = False,
    quiet: Quiet = 0,
    verbose: Verbose = 0,
) -> None:
    """Check a service deployed from a directory: deploy files, build context, start command."""
    from mcheck.deploy import check_deploy

    def check_service() -> list[Report]:
        report = check_deploy(
            service_dir,
            repo_root=repo_root,
            timeout=timeout,
            python=python,
            install=install,
            keep=keep,
            sandbox=sandbox,
            progress=_progress_printer(verbose),
            select=select,
            ignore=ignore,
            per_path_ignores=per_path_ignores,
            fail_on=fail_on,
            env_file=env_file,
            fix="diff" if diff else ("write" if fix else None),
            force=force,
        )
        if diff:  # the diff alone on stdout, as for `mcheck wheel --diff`
            sys.stdout.write(report.fix_diff or "")
        return [report]

    if diff and not outputs:
        outputs = [Path("/dev/stderr")] * len(formats or ["text"])
    _run(check_service, formats, outputs, quiet, verbose)


@app.command()
def plan(
    root: Annotated[Path, typer.Argument(help="The repository root.")] = Path(),
    changed_since: Annotated[
        str | None,
        typer.Option(
            help="Only targets whose inputs changed since this git revision (e.g. origin/main)."
        ),
    ] = None,
    max_jobs: Annotated[
        int, typer.Option(help="Jobs per GitHub Actions matrix (GitHub allows 256).")
    ] = 256,
) -> None:
    """List the targets of a repository (projects, services) as JSON and GitHub Actions matrices."""
    import json

    from mcheck.fanout import changed_files, github_matrices, plan_targets
    from mcheck.wheel.discover import find_git_root, list_source_files

    try:
        if not root.is_dir():
            raise UsageError(f"{root}: not a directory")
        if not 1 <= max_jobs <= 256:
            raise UsageError(f"--max-jobs must be between 1 and 256, not {max_jobs}")
        files = list_source_files(root.resolve(), find_git_root(root.resolve()))
        changed = changed_files(root, changed_since) if changed_since else None
        targets = plan_targets(root.resolve(), files, changed)
    except UsageError as exc:
        _fail(str(exc), exc.exit_code)
    document = {
        "targets": [t.matrix_entry() for t in targets],
        "matrices": github_matrices(targets, max_jobs),
    }
    typer.echo(json.dumps(document, indent=2))


@app.command()
def merge(
    reports: Annotated[
        list[Path], typer.Argument(help="JSON reports of mcheck (-f json), e.g. one per shard.")
    ],
    formats: Formats = None,
    outputs: Outputs = None,
    quiet: Quiet = 0,
    verbose: Verbose = 0,
) -> None:
    """Combine the JSON reports of several runs (CI shards) into one report in any format."""
    from mcheck.fanout import read_reports

    _run(lambda: read_reports(reports), formats, outputs, quiet, verbose)


def _run(
    check: Callable[[], list[Report]],
    formats: list[str] | None,
    outputs: list[Path] | None,
    quiet: int,
    verbose: int,
) -> None:
    """Run ``check`` the way every command does: its exit code, or 2 for bad input, 130/143 when
    interrupted, 3 for a bug in mcheck (the traceback with -v)."""
    _install_signal_handlers()
    try:  # from the first moment a signal can arrive: everything after it is interruptible
        pairs = _format_pairs(formats or ["text"], outputs or [])
        _check_outputs_writable([output for _, output in pairs if output is not None])
        reports = check()
        _emit(reports, pairs, verbosity=verbose - quiet)
    except typer.Exit:
        raise
    except UsageError as exc:
        _fail(str(exc), exc.exit_code)
    except (KeyboardInterrupt, Interrupted) as exc:
        _fail("interrupted; temporary files removed", getattr(exc, "exit_code", 130))
    except Exception as exc:  # a bug in mcheck, not in the user's project
        _internal_error(exc, verbose)
    raise typer.Exit(max((r.exit_code for r in reports), default=0))


@app.command()
def explain(
    code: Annotated[str | None, typer.Argument(help="A finding code, e.g. MC101.")] = None,
    list_codes: Annotated[bool, typer.Option("--list", help="List every code.")] = False,
) -> None:
    """Explain a finding code: what it means, why it happens, how to fix it."""
    from mcheck.explain import explain as explain_code
    from mcheck.explain import explain_list

    try:
        if list_codes or code is None:
            typer.echo(explain_list(), nl=False)
        else:
            typer.echo(explain_code(code), nl=False)
    except UsageError as exc:
        _fail(str(exc), exc.exit_code)


cache_app = typer.Typer(no_args_is_help=True, help="Show or evict mcheck's build and venv caches.")
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
def cache_info() -> None:
    """Where the caches are, how many entries they hold and how large they are."""
    from mcheck.cache.manage import describe

    typer.echo(describe(), nl=False)


@cache_app.command("clean")
def cache_clean(
    older_than: Annotated[
        str | None, typer.Option(help="Evict entries not used for this long: 30d, 12h, 90m.")
    ] = None,
    max_size: Annotated[
        str | None, typer.Option(help="Then evict the least recently used beyond this size: 2G.")
    ] = None,
) -> None:
    """Evict cache entries; with no option, all of them."""
    from mcheck.cache.manage import clean, parse_duration, parse_size

    try:
        age = parse_duration(older_than) if older_than is not None else None
        size = parse_size(max_size) if max_size is not None else None
    except UsageError as exc:
        _fail(str(exc), exc.exit_code)
    done = clean(older_than=age, max_size=size)
    typer.echo(f"removed {done.removed} entries ({done.freed / 2**20:.1f} MiB), kept {done.kept}")


def _check_all(targets: list[Path], check: Callable[[Path], Report]) -> list[Report]:
    """Check several targets concurrently (each run is mostly subprocesses), reports in argument order."""
    if len(targets) == 1:
        return [check(targets[0])]
    with ThreadPoolExecutor(max_workers=min(len(targets), 4)) as pool:
        return list(pool.map(check, targets))


def _internal_error(exc: Exception, verbose: int) -> None:
    if verbose:
        traceback.print_exc()
    _fail(
        f"internal error: {type(exc).__name__}: {exc} (re-run with -v for the traceback)",
        INTERNAL_ERROR,
    )


def _format_pairs(formats: list[str], outputs: list[Path]) -> list[tuple[str, Path | None]]:
    from mcheck.reporters import FORMATS

    for name in formats:
        if name not in FORMATS:
            close = difflib.get_close_matches(name, list(FORMATS), n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            _fail(
                f"unknown format {name!r}{suggestion}; choose from {', '.join(sorted(FORMATS))}", 2
            )
    if len(outputs) > len(formats):
        _fail("more --output files than --format options", 2)
    # "-o -" is stdout, so "-f text -o - -f sarif -o x.sarif" reads in order (outputs pair by position).
    return [
        (name, outputs[i] if i < len(outputs) and str(outputs[i]) != "-" else None)
        for i, name in enumerate(formats)
    ]


def _check_outputs_writable(outputs: list[Path]) -> None:
    """Fail before the run, not after minutes of work, when a report could not be written."""
    for output in outputs:
        if output.is_dir():
            _fail(f"--output {output}: is a directory", 2)
        parent = output.parent
        if not parent.is_dir():
            _fail(f"--output {output}: directory {parent} does not exist", 2)
        if not os.access(parent, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
            _fail(f"--output {output}: not writable", 2)


def _write_report(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        _fail(f"--output {output}: cannot write: {exc.strerror or exc}", 2)


def _emit(reports: list[Report], pairs: list[tuple[str, Path | None]], *, verbosity: int) -> None:
    from mcheck.reporters import render

    for name, output in pairs:
        # no-color.org: NO_COLOR disables colour when set to a non-empty value.
        color = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        text = render(name, reports, color=color, verbosity=verbosity)
        if output is None:
            _write_stdout(text)
        else:
            _write_report(output, text)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file and any(name == "github" for name, _ in pairs):
        from mcheck.reporters.github import github_step_summary

        with open(summary_file, "a", encoding="utf-8") as fh:
            fh.write(github_step_summary(reports))


def _write_stdout(text: str) -> None:
    """Write a report to stdout; a file name that is not UTF-8 (kept by Python as surrogates) is shown
    escaped rather than crashing the report."""
    encoding = sys.stdout.encoding or "utf-8"
    sys.stdout.buffer.write(text.encode(encoding, errors="backslashreplace"))
    sys.stdout.flush()


def _progress_printer(verbose: int):
    """A live status line on stderr for people at a terminal; silent in CI logs unless -v, and there one
    line per stage: updates within a stage ("probe 120/2000" after "probe") only redraw the live line."""
    interactive = sys.stderr.isatty()
    if not interactive and not verbose:
        return None
    last_stage = ""

    def show(message: str) -> None:
        nonlocal last_stage
        if interactive:
            sys.stderr.write(f"\r\x1b[2Kmcheck: {message}...")
            sys.stderr.flush()
            return
        stage = message.split(" ", 1)[0]
        if stage != last_stage or " " not in message:
            sys.stderr.write(f"mcheck: {message}\n")
        last_stage = stage

    return show


def _install_signal_handlers() -> None:
    interrupt_on_signals()


def _fail(message: str, code: int) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K")
    typer.echo(f"mcheck: error: {message}", err=True)
    raise typer.Exit(code)


TESTS_VALUES = (*TESTS_MODES, "off")  # what --tests takes on the command line


def _tests_value(value: str | None) -> str | bool | None:
    """``--tests`` (normalised to ``--tests=both``), ``--tests=wheel-only``, ``--tests=off``."""
    if value is None:
        return None
    if value not in TESTS_VALUES:
        raise typer.BadParameter(
            f"--tests takes both, wheel-only or off, not {value!r}", param_hint="--tests"
        )
    return False if value == "off" else value


def normalise_argv(argv: list[str]) -> list[str]:
    """The two spellings click cannot parse, made plain for ``mcheck wheel``: a bare ``--tests``
    (an option with an optional value) is ``--tests=both``, and what follows ``--`` goes to pytest
    as ``--pytest-arg`` options, so it is not taken for more targets."""
    if "wheel" not in argv:
        return argv
    start = argv.index("wheel") + 1
    head, tail = argv[:start], argv[start:]
    pytest_args: list[str] = []
    if "--" in tail:
        cut = tail.index("--")
        tail, pytest_args = tail[:cut], tail[cut + 1 :]
    normalised = []
    for index, token in enumerate(tail):
        following = tail[index + 1] if index + 1 < len(tail) else None
        if token == "--tests" and following not in TESTS_VALUES:
            token = "--tests=both"
        elif token == "--no-tests":
            token = "--tests=off"
        normalised.append(token)
    return [*head, *normalised, *(f"--pytest-arg={arg}" for arg in pytest_args)]


def main() -> None:
    app(args=normalise_argv(sys.argv[1:]))
