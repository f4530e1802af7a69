"""mcheck benchmark: the floor (``uv build --wheel``), mcheck cold and warm, tox, build-and-inspect
(``python -m build`` + check-wheel-contents + ``twine check``) and a naive script, side by side on
three projects; a 20-member workspace with one member changed against checking that member alone;
the import probe alone against one sequential import process and against the bare fork + import +
exit loop; a second interpreter; and ``--tests`` against a plain pytest run of the same suite.

Run with ``nox -s bench`` (which installs mcheck and tox); writes ``bench/RESULTS.md``. Every number
is measured in this run on this machine; nothing is carried over from earlier runs.

Projects: (a) a small sample project of this repository, (b) a mid-size real package built from its
sdist (downloaded from the registry with pip, pinned), (c) a generated package of 2,000 modules in
nested sub-packages (``generate.py``). Each measurement runs in ``measure.py``, a fresh process that
reports wall time, CPU time (user + system, children included) and peak RSS (``ru_maxrss`` of the
children: the largest single process of the tree, not a sum).

"Cold" means empty mcheck caches (``MCHECK_CACHE_DIR`` in a fresh directory: no cached venv, no cached
build, no cached result); "warm" means further runs on the same, unchanged project copy with that cache
kept: they reuse the sdist/wheel the cold run stored and replay its report from the result cache (what a
user gets on an unchanged project); "warm, result cache off" (``MCHECK_RESULT_CACHE=off``) reuses the
build and the venv but installs, imports and checks again. Each run's stage timings are checked: the
cold run must have run the build backend (stage ``build``), every warm run must have been served by the
build cache (stage ``build (cached)``), and a replayed run must say ``results (cached)``, or the
benchmark stops. uv's and pip's own download caches are warm for
every tool alike, the floor included, so the comparison is about the work each tool does, not the network.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SMALL_SAMPLE = "clean_flit"
MID_PACKAGE = ("rich", "15.0.0")
SUITE_PACKAGE = ("click", "8.1.7")  # its sdist ships its tests (611) and requirements/tests.txt
GENERATED_MODULES = 2000
WORKSPACE_MEMBERS = 20
CHANGED_MEMBER = 7
NO_RESULT_CACHE = {"MCHECK_RESULT_CACHE": "off"}
PIP_DEFAULTS = {"PIP_CONFIG_FILE": os.devnull}  # pip's defaults, not this machine's indexes/pins
TOX_INI = """\
[tox]
env_list = importall
skip_missing_interpreters = false

[testenv:importall]
description = build the wheel, install it, import every module
package = wheel
wheel_build_env = .pkg
commands = python -I {import_all} {modules}
"""

FLOOR = "uv build --wheel (floor)"
BUILD_AND_INSPECT = "build-and-inspect (python -m build, check-wheel-contents, twine check)"

sys.path.insert(0, str(BENCH_DIR))
import generate  # noqa: E402 - a sibling script, not an installed module


@dataclass(frozen=True)
class Cost:
    wall: float
    cpu: float
    rss_mb: float
    returncode: int
    output_tail: str


@dataclass(frozen=True)
class Row:
    tool: str
    cost: Cost
    note: str = ""


# label -> (title, rows, mcheck's stage timings keyed "cold" and "warm")
Sections = dict[str, tuple[str, list[Row], dict[str, dict[str, float]]]]


class Bench:
    def __init__(self, work: Path, repeat: int) -> None:
        self.work = work
        self.repeat = repeat
        tools = ("uv", "mcheck", "tox", "check-wheel-contents", "twine")
        self.tools = {name: _which(name) for name in tools}
        self.counter = 0

    # --- measuring -------------------------------------------------------------------------------

    def measure(
        self, command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> Cost:
        self.counter += 1
        out = self.work / f"measure-{self.counter}.json"
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "measure.py"), str(out), "--", *command],
            env={**os.environ, **(env or {})},
            cwd=cwd,
            check=True,
        )
        data = json.loads(out.read_text())
        return Cost(
            data["wall"],
            data["cpu"],
            data["maxrss_kb"] / 1024,
            data["returncode"],
            data["output_tail"],
        )

    def best(self, make_command: Callable[[int], list[str]], **kwargs: dict[str, str]) -> Cost:
        """The fastest (by wall time) of ``self.repeat`` runs; ``make_command(i)`` builds run i's command.
        The minimum, not the median: on a shared machine noise only ever adds time."""
        costs = [self.measure(make_command(i), **kwargs) for i in range(self.repeat)]  # type: ignore[arg-type]
        return min(costs, key=lambda c: c.wall)

    def fresh_copy(self, project: Path, label: str) -> Path:
        self.counter += 1
        dest = self.work / "copies" / f"{label}-{self.counter}" / project.name
        shutil.copytree(
            project, dest, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", ".tox")
        )
        return dest

    # --- the tools ---------------------------------------------------------------------------------

    def floor(self, project: Path) -> Cost:
        return self.best(
            lambda i: [
                self.tools["uv"],
                "build",
                "--wheel",
                "--quiet",
                "--out-dir",
                str(self.work / f"floor-{self.counter}-{i}"),
                str(self.fresh_copy(project, "floor")),
            ]
        )

    def mcheck(self, project: Path) -> tuple[list[Row], dict[str, dict[str, float]]]:
        """Cold (empty caches), then warm (same project copy, same caches: replayed) and warm with the
        result cache off (the fastest of ``self.repeat`` runs each); the stage timings of each."""
        cache = self.work / f"mcheck-cache-{self.counter}"
        assert not cache.exists()
        copy = self.fresh_copy(project, "mcheck")
        env = {"MCHECK_CACHE_DIR": str(cache)}

        def run(
            label: str, expect_build: str, replayed: bool, result_cache: bool = True
        ) -> tuple[Cost, dict[str, float]]:
            report = self.work / f"mcheck-report-{self.counter}-{label}.json"
            self.counter += 1
            cost = self.measure(
                [self.tools["mcheck"], "wheel", str(copy), "-q", "-f", "json", "-o", str(report)],
                env={**env, **({} if result_cache else NO_RESULT_CACHE)},
            )
            return cost, _stages(report, expect_build=expect_build, replayed=replayed)

        def best(label: str, replayed: bool) -> tuple[Cost, dict[str, float]]:
            runs = [
                run(f"{label}{i}", "build (cached)", replayed, result_cache=replayed)
                for i in range(self.repeat)
            ]
            return min(runs, key=lambda measured: measured[0].wall)

        cold, cold_stages = run("cold", "build", replayed=False)
        warm, warm_stages = best("warm", replayed=True)
        computed, computed_stages = best("computed", replayed=False)
        rows = [
            Row("mcheck, cold", cold),
            Row("mcheck, warm", warm),
            Row("mcheck, warm, result cache off", computed),
        ]
        stages = {
            "cold": cold_stages,
            "warm": warm_stages,
            "warm, result cache off": computed_stages,
        }
        return rows, stages

    def build_and_inspect(self, project: Path) -> Cost:
        """What release pipelines run instead: build the sdist and the wheel with pypa/build, then
        check-wheel-contents and twine check on them. It never installs or imports anything."""
        copy = self.fresh_copy(project, "inspect")
        out = self.work / f"inspect-{self.counter}"
        script = (
            f'"{sys.executable}" -m build --outdir "{out}" "{copy}" >/dev/null'
            f' && "{self.tools["check-wheel-contents"]}" "{out}"'
            f' && "{self.tools["twine"]}" check "{out}"/*'
        )
        return self.measure(["sh", "-c", script], env=PIP_DEFAULTS)

    def tox(self, project: Path, modules_file: Path) -> tuple[Cost, Cost]:
        """First run (creates the envs) and second run (reuses them, rebuilds and reinstalls the wheel)."""
        copy = self.fresh_copy(project, "tox")
        (copy / "tox.ini").write_text(
            TOX_INI.format(import_all=BENCH_DIR / "import_all.py", modules=modules_file)
        )
        command = [self.tools["tox"], "-q", "-c", str(copy / "tox.ini"), "-e", "importall"]
        return (
            self.measure(command, env=PIP_DEFAULTS, cwd=copy),
            self.measure(command, env=PIP_DEFAULTS, cwd=copy),
        )

    def naive(self, project: Path, modules_file: Path) -> Cost:
        copy = self.fresh_copy(project, "naive")
        work = self.work / f"naive-{self.counter}"
        env = {"PATH": f"{Path(self.tools['uv']).parent}{os.pathsep}{os.environ['PATH']}"}
        return self.measure(
            ["sh", str(BENCH_DIR / "naive.sh"), str(copy), str(modules_file), str(work)], env=env
        )

    # --- one project -------------------------------------------------------------------------------

    def project(self, project: Path) -> tuple[list[Row], dict[str, float], Path, Path]:
        modules_file, wheel = self.module_list(project)
        floor = self.floor(project)
        mcheck_rows, stages = self.mcheck(project)
        inspect = self.build_and_inspect(project)
        tox_first, tox_again = self.tox(project, modules_file)
        naive = self.naive(project, modules_file)
        rows = [
            Row(FLOOR, floor),
            *mcheck_rows,
            Row(BUILD_AND_INSPECT, inspect),
            Row("tox, first run", tox_first),
            Row("tox, second run", tox_again),
            Row("naive script", naive),
        ]
        return rows, stages, modules_file, wheel

    def module_list(self, project: Path) -> tuple[Path, Path]:
        """The importable modules of the project's wheel (as mcheck probes them), one per line."""
        out = self.work / f"modules-{project.name}"
        subprocess.run(
            [
                self.tools["uv"],
                "build",
                "--wheel",
                "--quiet",
                "--out-dir",
                str(out),
                str(self.fresh_copy(project, "list")),
            ],
            check=True,
        )
        wheel = next(out.glob("*.whl"))
        names = sorted(_module_name(n) for n in zipfile.ZipFile(wheel).namelist() if _is_module(n))
        path = out / "modules.txt"
        path.write_text("\n".join(names) + "\n")
        return path, wheel

    # --- a second interpreter ---------------------------------------------------------------------

    def second_interpreter(self, project: Path, other: str) -> list[Row]:
        """mcheck on one interpreter and on two (its own and ``other``), cold and warm, each with its
        own empty cache: what checking one more Python costs when the pure wheel is built once."""
        rows = []
        for label, pythons in (("one", [sys.executable]), ("two", [sys.executable, other])):
            self.counter += 1
            cache = self.work / f"mcheck-cache-py-{self.counter}"
            copy = self.fresh_copy(project, "pythons")
            flags = [arg for python in pythons for arg in ("--python", python)]
            command = [self.tools["mcheck"], "wheel", str(copy), "-q", *flags]
            # The cost of the work a second interpreter adds: replaying would hide it.
            env = {"MCHECK_CACHE_DIR": str(cache), **NO_RESULT_CACHE}
            cold = self.checked_run(command, env, "build")
            warm = min(
                (self.checked_run(command, env, "build (cached)") for _ in range(self.repeat)),
                key=lambda c: c.wall,
            )
            names = "mcheck's own" if len(pythons) == 1 else f"mcheck's own + {other}"
            rows += [
                Row(f"{label} interpreter(s) ({names}), cold", cold),
                Row(f"{label} interpreter(s) ({names}), warm", warm),
            ]
        return rows

    def checked_run(self, command: list[str], env: dict[str, str], expect_build: str) -> Cost:
        """One mcheck run, its build stage checked to have been served as ``expect_build``."""
        self.counter += 1
        report = self.work / f"mcheck-run-{self.counter}.json"
        cost = self.measure([*command, "-f", "json", "-o", str(report)], env=env)
        _stages(report, expect_build=expect_build)
        return cost

    # --- a monorepo ------------------------------------------------------------------------------

    def workspace(self) -> list[Row]:
        """A uv workspace of ``WORKSPACE_MEMBERS`` members checked by one ``mcheck wheel ROOT``: cold,
        again unchanged (every member replayed), after one member changed (that one checked, the
        others replayed), against ``mcheck wheel MEMBER`` for that member alone after a change.
        Each run's reports are counted: exactly the expected number must have been computed."""
        root = self.work / "workspace"
        members = generate.generate_workspace(root, WORKSPACE_MEMBERS)
        member = members[CHANGED_MEMBER]
        changed = member / member.name / "core.py"
        env = {"MCHECK_CACHE_DIR": str(self.work / "mcheck-cache-workspace")}

        def run(target: Path, computed: int) -> Cost:
            self.counter += 1
            out = self.work / f"workspace-{self.counter}.json"
            command = [
                self.tools["mcheck"],
                "wheel",
                str(target),
                "-q",
                "-f",
                "json",
                "-o",
                str(out),
            ]
            cost = self.measure(command, env=env)
            data = json.loads(out.read_text())
            reports = data.get("reports", [data])
            if sum(not r["cached"] for r in reports) != computed:
                raise SystemExit(f"bench: expected {computed} of {len(reports)} reports computed")
            return cost

        def edit() -> None:
            self.counter += 1
            changed.write_text(changed.read_text() + f"\nEDIT_{self.counter} = {self.counter}\n")

        def fastest(costs: list[Cost]) -> Cost:
            return min(costs, key=lambda c: c.wall)

        cold = run(root, WORKSPACE_MEMBERS)
        unchanged = fastest([run(root, 0) for _ in range(self.repeat)])
        one_changed, alone = [], []
        for _ in range(self.repeat):  # alternating, so both see the same machine
            edit()
            one_changed.append(run(root, 1))
            edit()
            alone.append(run(member, 1))
        count = WORKSPACE_MEMBERS
        return [
            Row(f"`mcheck wheel ROOT`, {count} members, cold", cold),
            Row(f"`mcheck wheel ROOT`, {count} members unchanged (all replayed)", unchanged),
            Row(f"`mcheck wheel ROOT`, one of {count} members changed", fastest(one_changed)),
            Row(
                f"`mcheck wheel {member.relative_to(root)}`: the changed member alone",
                fastest(alone),
            ),
        ]

    # --- the project's own tests -----------------------------------------------------------------

    def suite(self, project: Path) -> tuple[list[Row], dict[str, dict[str, float]]]:
        """``mcheck wheel --tests`` against a plain ``pytest`` run of the same suite in a venv made
        ready beforehand (the project and its test requirements installed; not timed). mcheck runs
        warm (a cold run first fills its cache): with and without --tests, and wheel-only."""
        venv = self.work / "suite-venv"
        uv = self.tools["uv"]
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        requirements = project / "requirements" / "tests.txt"
        subprocess.run(
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(venv / "bin" / "python"),
                str(project),
                "-r",
                str(requirements),
            ],
            check=True,
        )
        plain_copy = self.fresh_copy(project, "pytest")
        pytest_alone = self.best(
            lambda i: [
                str(venv / "bin" / "python"),
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests",
            ],
            cwd=plain_copy,
        )
        self.counter += 1
        cache = self.work / f"mcheck-cache-suite-{self.counter}"
        copy = self.fresh_copy(project, "suite")
        env = {"MCHECK_CACHE_DIR": str(cache), **NO_RESULT_CACHE}  # --tests never replays
        base = [self.tools["mcheck"], "wheel", str(copy), "-q"]
        stages: dict[str, dict[str, float]] = {}

        def warm(label: str, flags: list[str]) -> Cost:
            best: tuple[Cost, dict[str, float]] | None = None
            for _ in range(self.repeat):
                self.counter += 1
                report = self.work / f"mcheck-suite-{self.counter}.json"
                cost = self.measure([*base, *flags, "-f", "json", "-o", str(report)], env=env)
                measured = (cost, _stages(report, expect_build="build (cached)"))
                if best is None or cost.wall < best[0].wall:
                    best = measured
            assert best is not None
            stages[label] = best[1]
            return best[0]

        self.checked_run([*base, "--tests"], env, "build")  # fills the caches
        rows = [
            Row("pytest alone (venv made ready beforehand)", pytest_alone),
            Row("mcheck, warm, without --tests", warm("without --tests", [])),
            Row("mcheck --tests, warm", warm("--tests", ["--tests"])),
            Row("mcheck --tests=wheel-only, warm", warm("wheel-only", ["--tests=wheel-only"])),
        ]
        return rows, stages

    # --- the probe alone ---------------------------------------------------------------------------

    def probe_alone(self, wheel: Path, modules_file: Path) -> list[Row]:
        """The import probe (fork servers on and off) against one process importing every module."""
        from mcheck.probes.imports import PROBE_SCRIPT
        from mcheck.probes.scripts.import_probe import WARM_STDLIB

        venv = self.work / "probe-venv"
        subprocess.run(
            [self.tools["uv"], "venv", "--quiet", "--python", sys.executable, str(venv)], check=True
        )
        python = venv / "bin" / "python"
        # As mcheck installs (bytecode compiled): both sides load .pyc files, neither compiles sources.
        subprocess.run(
            [
                self.tools["uv"],
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                "--python",
                str(python),
                str(wheel),
            ],
            check=True,
        )
        modules = modules_file.read_text().split()
        env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}  # as mcheck runs the probe
        jobs = os.cpu_count() or 1

        def probe(preimport: bool) -> Cost:
            request = self.work / f"probe-{preimport}.json"
            request.write_text(
                json.dumps(
                    {"modules": modules, "timeout": 30, "jobs": jobs, "preimport": preimport}
                )
            )
            return self.best(
                lambda i: [
                    str(python),
                    "-I",
                    str(PROBE_SCRIPT),
                    str(request),
                    str(self.work / f"probe-out-{preimport}-{i}.json"),
                ],
                env=env,
            )

        sequential = self.best(
            lambda i: [str(python), "-I", str(BENCH_DIR / "import_all.py"), str(modules_file)],
            env=env,
        )
        floor_script = [
            str(python),
            "-I",
            str(BENCH_DIR / "fork_floor.py"),
            str(modules_file),
            str(jobs),
            ",".join(WARM_STDLIB),
        ]
        bare_forks = self.best(lambda i: [*floor_script, "--no-import"], env=env)
        import_forks = self.best(lambda i: floor_script, env=env)
        return [
            Row("one process, sequential imports (baseline)", sequential),
            Row(f"import probe, fork servers ({jobs} jobs)", probe(True)),
            Row(f"import probe, one fresh fork per module ({jobs} jobs)", probe(False)),
            Row(
                f"bare loop: parents preloaded, fork + import + exit, no reporting ({jobs} jobs)",
                import_forks,
            ),
            Row(f"bare loop: fork + exit, no import ({jobs} jobs)", bare_forks),
        ]


# --- the projects -----------------------------------------------------------------------------------


def small_project() -> Path:
    return REPO / "sample_projects" / SMALL_SAMPLE


def mid_project(work: Path) -> Path:
    return sdist_project(work, *MID_PACKAGE)


def sdist_project(work: Path, name: str, version: str) -> Path:
    """The pinned sdist, downloaded by pip (sdist only, no dependencies) and unpacked."""
    download = work / f"sdist-{name}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(download),
            f"{name}=={version}",
        ],
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
        check=True,
    )
    sdist = next(download.glob("*.tar.gz"))
    with tarfile.open(sdist) as tf:
        tf.extractall(work / f"unpacked-{name}", filter="data")
    return next((work / f"unpacked-{name}").iterdir())


def generated_project(work: Path, count: int) -> Path:
    root = work / "genpkg"
    generate.generate(root, count)
    return root


def _is_module(name: str) -> bool:
    first = name.split("/", 1)[0]
    return (
        name.endswith(".py")
        and not first.endswith((".dist-info", ".data"))
        and "__main__" not in name
    )


def _module_name(path: str) -> str:
    return path[:-3].replace("/__init__", "").replace("/", ".")


def _which(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench: {name} is not on PATH (run the benchmark with `nox -s bench`)")
    return found


# --- the report -------------------------------------------------------------------------------------


def _version(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else "?"


def compile_tools_bytecode() -> str:
    """Byte-compile the environment mcheck and tox run from (this one), as ``pip install`` does by default.

    ``uv pip install`` (how nox installs them) does not, and with ``PYTHONDONTWRITEBYTECODE`` set (as on
    this machine) Python never writes the ``.pyc`` files either: every mcheck and tox run would then
    compile its own code from source first, a cost no installed tool has on a user's machine."""
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    for path in paths:
        compileall.compile_dir(path, quiet=1, workers=0)
    return (
        f"- the environment of mcheck and tox ({', '.join(paths)}) was byte-compiled before measuring, as "
        "`pip install` does by default (`uv pip install` does not, and `PYTHONDONTWRITEBYTECODE` is "
        f"{'set' if os.environ.get('PYTHONDONTWRITEBYTECODE') else 'not set'} here)"
    )


def machine_lines(tools: dict[str, str]) -> list[str]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:  # Linux; the bench is run there
        cpu = next(
            (line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu
        )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"- machine: {platform.platform()}, {cpu}, {os.cpu_count()} cores, {memory:.1f} GiB RAM",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- {_version([tools['mcheck'], '--version'])}; {_version([tools['uv'], '--version'])}; "
        f"tox {importlib.metadata.version('tox')}",
        "- load average at start {load_start}, at end {load_end} (1/5/15 min)",
    ]


def _stages(report: Path, *, expect_build: str, replayed: bool = False) -> dict[str, float]:
    """A run's stage timings, after checking how its build stage was served (backend or cache) and
    whether its report was replayed from the result cache."""
    stages = {s["name"]: s["seconds"] for s in json.loads(report.read_text())["stages"]}
    build = [name for name in stages if name.startswith("build")]
    if build != [expect_build]:
        raise SystemExit(f"bench: expected the stage {expect_build!r}, the run reported {build}")
    if ("results (cached)" in stages) != replayed:
        raise SystemExit(f"bench: expected replayed={replayed}, the run reported {list(stages)}")
    return stages


def table(rows: list[Row], floor: Cost | None) -> list[str]:
    ratio_head = " wall / floor | CPU / floor |" if floor else ""
    lines = [
        f"| tool | wall (s) | CPU (s) | peak RSS (MB) |{ratio_head} exit |",
        "|---|---:|---:|---:|" + ("---:|---:|" if floor else "") + "---:|",
    ]
    for row in rows:
        cost = row.cost
        ratios = f" {cost.wall / floor.wall:.2f}x | {cost.cpu / floor.cpu:.2f}x |" if floor else ""
        lines.append(
            f"| {row.tool} | {cost.wall:.2f} | {cost.cpu:.2f} | {cost.rss_mb:.0f} |{ratios} "
            f"{cost.returncode} |"
        )
    return lines


def other_interpreter() -> str | None:
    """An installed CPython other than this one, as mcheck finds it (3.12 preferred), or None."""
    from mcheck.interpreters import installed_interpreters, own_interpreter

    own = own_interpreter().minor
    others = [i for i in installed_interpreters() if i.minor != own and i.minor >= (3, 9)]
    preferred = [i for i in others if i.minor == (3, 12)] or others
    return preferred[-1].path if preferred else None


def suite_lines(rows: list[Row], stages: dict[str, dict[str, float]]) -> list[str]:
    name, version = SUITE_PACKAGE
    plain, without, both, wheel_only = (r.cost for r in rows)
    tests_both = stages["--tests"].get("tests", 0.0)
    tests_wheel = stages["wheel-only"].get("tests", 0.0)
    return [
        f"## The project's own tests (`--tests`), on {name} {version} from its sdist",
        "",
        "The suite its sdist ships, run by mcheck against the wheel and on the checkout (`--tests`), "
        "or against the wheel only, next to a plain `pytest` run of the same tests in a venv made "
        "ready beforehand. Ratios are to the plain pytest run.",
        "",
        *table(rows, plain),
        "",
        f"- the tests stage alone (test dependencies installed next to the wheel, the checkout "
        f"copied without its code, both runs): {tests_both:.2f} s = {tests_both / plain.wall:.2f}x "
        f"the plain pytest run; wheel-only {tests_wheel:.2f} s = {tests_wheel / plain.wall:.2f}x",
        f"- what --tests adds to a warm mcheck run: {both.wall - without.wall:.2f} s "
        f"({(both.wall - without.wall) / plain.wall:.2f}x the plain pytest run; wheel-only "
        f"{(wheel_only.wall - without.wall) / plain.wall:.2f}x)",
        "- mcheck, stage by stage (s): "
        + "; ".join(
            f"{label}: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
            for label, timings in stages.items()
        ),
        "",
    ]


def second_interpreter_lines(rows: list[Row]) -> list[str]:
    if not rows:
        return ["## A second interpreter", "", "Not measured: no second CPython is installed.", ""]
    one_cold, one_warm, two_cold, two_warm = (r.cost for r in rows)
    cold, warm = two_cold.wall / one_cold.wall, two_warm.wall / one_warm.wall
    return [
        "## A second interpreter, on (b)",
        "",
        "`mcheck wheel` with `--python` given once (mcheck's own) and twice (its own and another "
        "installed CPython), each pair with its own empty cache: the pure wheel is built once and "
        "installed into one venv per interpreter. Ratios are to the one-interpreter run.",
        "",
        *table(rows[:1] + rows[2:3], one_cold),
        "",
        *table(rows[1:2] + rows[3:], one_warm),
        "",
        f"- target: a second interpreter costs < 1.5x a single-interpreter run: cold {cold:.2f}x "
        f"{verdict(cold < 1.5)}, warm {warm:.2f}x {verdict(warm < 1.5)}",
        "",
    ]


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def targets(
    projects: dict[str, list[Row]],
    probe_rows: list[Row],
    workspace_rows: list[Row],
    python_rows: list[Row],
) -> list[str]:
    """The performance targets (issue 18, and issue 16's second interpreter), each measured here."""
    a, b, c = ({r.tool: r.cost for r in projects[label]} for label in ("a", "b", "c"))
    lines = ["| measure | measured | target | verdict |", "|---|---:|---:|---|"]

    def row(measure: str, ratio: float, target: float, strict: bool = False) -> None:
        ok = ratio < target if strict else ratio <= target
        sign = "<" if strict else "<="
        lines.append(f"| {measure} | {ratio:.2f}x | {sign} {target}x | {verdict(ok)} |")

    row(
        "(b) cold mcheck vs build-and-inspect",
        b["mcheck, cold"].wall / b[BUILD_AND_INSPECT].wall,
        0.8,
    )
    row(
        "(b) warm mcheck vs a second tox run",
        b["mcheck, warm"].wall / b["tox, second run"].wall,
        0.5,
    )
    row(
        "(b) warm mcheck, result cache off, vs a second tox run (for reference)",
        b["mcheck, warm, result cache off"].wall / b["tox, second run"].wall,
        0.5,
    )
    row("(a) warm mcheck vs `uv build --wheel`", a["mcheck, warm"].wall / a[FLOOR].wall, 1.0)
    row(
        "(c) cold mcheck vs tox's first run", c["mcheck, cold"].wall / c["tox, first run"].wall, 1.0
    )
    probe, bare = probe_rows[1].cost, probe_rows[3].cost
    row("(c) the probe vs the bare fork + import + exit loop", probe.wall / bare.wall, 1.2)
    if workspace_rows:
        changed, alone = workspace_rows[2].cost, workspace_rows[3].cost
        row("(d) one of 20 members changed vs that member alone", changed.wall / alone.wall, 1.5)
    if python_rows:
        row(
            "(b) a second interpreter, warm (result cache off)",
            python_rows[3].cost.wall / python_rows[1].cost.wall,
            1.5,
            strict=True,
        )
    mcheck_rows = [
        r
        for rows in (*projects.values(), workspace_rows, python_rows)
        for r in rows
        if "mcheck" in r.tool or "interpreter" in r.tool
    ]
    peak = max(r.cost.rss_mb for r in mcheck_rows)
    lines.append(
        f"| peak memory of any mcheck run (largest process) | {peak:.0f} MB | < 300 MB | "
        f"{verdict(peak < 300)} |"
    )
    return lines


def workspace_lines(rows: list[Row]) -> list[str]:
    alone = rows[3].cost
    return [
        f"## (d) a uv workspace of {WORKSPACE_MEMBERS} members (generated)",
        "",
        "`mcheck wheel ROOT` checks every member (4 at a time); a member whose inputs did not change "
        "replays its report from the result cache. Ratios are to checking the changed member alone.",
        "",
        *table(rows, alone),
        "",
    ]


def notes(sections: Sections, probe_rows: list[Row], count: int) -> list[str]:
    """What the rows mean and where the time goes, with this run's numbers."""
    per_module = {row.tool: row.cost.cpu / count * 1000 for row in probe_rows}
    sequential, served, fresh, import_forks, bare_forks = (
        per_module[row.tool] for row in probe_rows
    )
    return [
        "- **What runs.** mcheck: sdist from a private copy, wheel *from that sdist*, install into a fresh "
        "venv (or a copy of the cached one), every module imported in its own forked process, diffs and static "
        "analysis; a warm run on an unchanged project takes the sdist and wheel from the build cache, resolves "
        "the dependencies again (a new release of one is a new key) and replays the report it computed before; "
        "with the result cache off it installs, imports and checks again. tox: `package = wheel`, then **one** "
        "process imports every module in turn (no isolation: a `sys.exit`, segfault or hang in one module ends "
        "or stalls the rest). build-and-inspect: `python -m build` (sdist, then the wheel from it, each in a "
        "fresh isolated build env), `check-wheel-contents` and `twine check`: it inspects the artifacts but "
        "never installs or imports them. Naive script: `uv build --wheel`, `uv venv`, `uv pip install`, then one "
        '`python -c "import m"` per module (the same per-module isolation mcheck gives).',
        *warm_vs_floor(sections),
        f"- **The probe.** CPU time per module: one sequential process {sequential:.2f} ms; the probe with "
        f"fork servers {served:.2f} ms (without them {fresh:.2f} ms); a bare loop that preloads what the fork "
        "servers preload (the standard-library list and every parent package), then forks, imports and exits "
        f"with no reporting at all {import_forks:.2f} ms, of which fork + exit alone is {bare_forks:.2f} ms. "
        "The difference between a forked child and the sequential process is the copy-on-write faults the "
        "import causes in a fresh child (every object it touches is on a page shared with the server): "
        "isolation by fork cannot go below the bare loop. The probe's own bookkeeping (results, timeouts, "
        "process groups, output capture) is the gap between the probe row and the bare loop.",
        "- **Noise.** This machine is shared (see the load average above): wall times of single runs vary by "
        "2x or more between runs; CPU times are steadier. Re-run `nox -s bench` on an idle machine for "
        "cleaner wall-time ratios.",
    ]


def warm_vs_floor(sections: Sections) -> list[str]:
    """Where the time of a warm run goes, against the floor, on (a) and (b)."""
    lines = [
        "- **Warm runs and the floor.** The floor runs the backend once (2 hooks); a cold mcheck run runs it "
        "twice (sdist, then the wheel from the unpacked sdist), because a file the sdist forgets must show "
        "up as missing from the wheel. A warm run reuses the sdist and wheel (stage `build (cached)`: hashing "
        "every source file and resolving the build requirements), resolves the dependencies (stage "
        "`results`) and replays; with the result cache off it copies the cached venv, installs the wheel "
        "into it and imports every module:"
    ]
    for label in ("a", "b"):
        by = {r.tool: r.cost for r in sections[label][1]}
        floor, warm_cost = by[FLOOR].wall, by["mcheck, warm"].wall
        warm = sections[label][2]["warm"]
        computed = sections[label][2]["warm, result cache off"]
        computed_cost = by["mcheck, warm, result cache off"].wall
        outside = warm_cost - sum(warm.values())
        lines.append(
            f"  - ({label}) floor {floor:.2f} s; warm run {warm_cost:.2f} s ({warm_cost / floor:.2f}x): "
            + ", ".join(f"{k} {v:.2f} s" for k, v in warm.items())
            + f", and {outside:.2f} s outside the stages (starting and importing mcheck, writing the "
            f"report). Result cache off: {computed_cost:.2f} s ({computed_cost / floor:.2f}x), of which "
            f"install {computed.get('install', 0):.2f} s and probe {computed.get('probe', 0):.2f} s."
        )
    return lines


def write_results(
    path: Path,
    sections: Sections,
    probe_rows: list[Row],
    machine: list[str],
    started: float,
    repeat: int,
    count: int,
    python_rows: list[Row],
    workspace_rows: list[Row],
    suite: tuple[list[Row], dict[str, dict[str, float]]] | None = None,
) -> None:
    lines = [
        "# mcheck benchmark results",
        "",
        f"Generated by `nox -s bench` (bench/run.py) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"in {time.time() - started:.0f} s; every number below comes from this one run. The floor, mcheck "
        f"warm and the probe rows are the best (by wall time) of {repeat} runs; the others are single runs. "
        "Ratios are wall-time ratios unless labelled CPU.",
        "",
        *machine,
        "",
    ]
    for label, (title, rows, stages) in sections.items():
        floor = rows[0].cost
        lines += [f"## ({label}) {title}", "", *table(rows, floor), ""]
        lines += [
            f"- mcheck {kind}, stage by stage (s): "
            + ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
            for kind, timings in stages.items()
        ]
        lines.append("")
    lines += [
        "## The import probe alone, on (c)",
        "",
        "The probe script run directly on the installed wheel of (c), bytecode compiled as mcheck installs "
        "it, with the environment mcheck gives it; the baseline imports the same modules in one process.",
        "",
        *table(probe_rows, None),
        "",
    ]
    lines += workspace_lines(workspace_rows)
    lines += second_interpreter_lines(python_rows)
    if suite is not None:
        lines += suite_lines(*suite)
    projects = {k: v[1] for k, v in sections.items()}
    lines += ["## Targets", "", *targets(projects, probe_rows, workspace_rows, python_rows), ""]
    lines += ["## Notes", "", *notes(sections, probe_rows, count), ""]
    path.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per fast measurement (the fastest is kept)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--modules", type=int, default=GENERATED_MODULES, help="size of the generated package (c)"
    )
    args = parser.parse_args()
    started = time.time()
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    work = Path(tempfile.mkdtemp(prefix="mcheck-bench-"))
    try:
        bench = Bench(work, args.repeat)
        machine = [*machine_lines(bench.tools), compile_tools_bytecode()]
        name, version = MID_PACKAGE
        projects = {
            "a": (f"small sample project `sample_projects/{SMALL_SAMPLE}`", small_project()),
            "b": (f"mid-size real package: {name} {version} from its sdist", mid_project(work)),
            "c": (
                f"generated package of {args.modules:,} modules in nested sub-packages",
                generated_project(work, args.modules),
            ),
        }
        sections = {}
        probe_rows: list[Row] = []
        for label, (title, project) in projects.items():
            print(f"bench: ({label}) {title}", flush=True)
            rows, stages, modules_file, wheel = bench.project(project)
            sections[label] = (title, rows, stages)
            if label == "c":
                print("bench: the import probe alone on (c)", flush=True)
                probe_rows = bench.probe_alone(wheel, modules_file)
        load_end = " ".join(f"{x:.1f}" for x in os.getloadavg())
        machine = [
            line.replace("{load_start}", load_start).replace("{load_end}", load_end)
            for line in machine
        ]
        print(f"bench: (d) a workspace of {WORKSPACE_MEMBERS} members", flush=True)
        workspace_rows = bench.workspace()
        other = other_interpreter()
        python_rows = []
        if other is not None:
            print(f"bench: a second interpreter ({other}) on (b)", flush=True)
            python_rows = bench.second_interpreter(projects["b"][1], other)
        print(f"bench: the project's own tests of {SUITE_PACKAGE[0]}", flush=True)
        suite = bench.suite(sdist_project(work, *SUITE_PACKAGE))
        write_results(
            args.out,
            sections,
            probe_rows,
            machine,
            started,
            args.repeat,
            args.modules,
            python_rows,
            workspace_rows,
            suite,
        )
        print(args.out.read_text())
    finally:
        if args.keep:
            print(f"bench: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
