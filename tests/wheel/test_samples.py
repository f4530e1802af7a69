"""The specification of mcheck, sample by sample.

Each project under ``sample_projects/`` reproduces one failure class (or is clean). ``SPEC`` says
exactly which errors and warnings ``check_wheel`` must report for it: a finding that is not listed is
as much a failure as a listed one that is missing.

Key of a finding: ``(code, path)``, plus the line for the codes that point into a shipped file
(``LINE_CODES``). Path conventions:

* MC101-MC106: the wheel-relative file (for MC101 the path it *would* have in the wheel);
  MC103 names the module file that the package of the same name shadows; MC105 names a top-level
  package as ``name/`` (a top-level ``__init__.py`` as ``__init__.py``).
* MC107, MC202, MC203, MC204: the wheel file holding the import / the use, and its line.
* MC109: the configuration file whose package selection left the package out, and the setting's line.
* MC201: the file defining ``__version__``.
* MC301-MC304: the dotted module name.
* MC001: the project file the backend's error points at (the raising frame, else a file or setting the
  error names; the file the sdist lacks when the wheel builds from the tree only), else None.
* MC002: None.

A file dropped from a shipped package is reported once, as MC101; an import of it from shipped code
is not reported again as MC107 (MC107 is for modules outside every shipped package).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import SAMPLES_DIR, run_check, tree_digest

LINE_CODES = frozenset({"MC107", "MC109", "MC202", "MC203", "MC204", "MC205", "MC206"})

NO_FINDINGS: dict[str, set] = {"errors": set(), "warnings": set()}

SPEC: dict[str, dict[str, set]] = {
    # --- incident 1 and its fix ------------------------------------------------------------------
    "incident1_monorepo_core": {
        "errors": {
            ("MC101", "monkey_coder/email/sender.py"),
            ("MC101", "monkey_coder/app/routes/health.py"),
            ("MC101", "monkey_coder/automation/runner.py"),
            ("MC103", "monkey_coder/models.py"),
            ("MC103", "monkey_coder/security.py"),
            ("MC201", "monkey_coder/__init__.py"),
            ("MC204", "monkey_coder/tokens.py", 5),
            ("MC301", "monkey_coder.app.main"),
            ("MC301", "monkey_coder.executor"),
            ("MC402", "monkey_coder.app.main:app"),
        },
        "warnings": set(),
    },
    "incident1_fixed": NO_FINDINGS,
    # --- clean projects, one per backend -----------------------------------------------------------
    "clean_setuptools_flat": NO_FINDINGS,
    "clean_setuptools_src": NO_FINDINGS,
    "clean_hatchling": NO_FINDINGS,
    "clean_flit": NO_FINDINGS,
    "clean_pdm": NO_FINDINGS,
    "clean_poetry": NO_FINDINGS,
    "clean_namespace": NO_FINDINGS,
    # --- the wheel ships none of a package of the project (tests/realbugs: pymod, findmy, aiven-client) ---
    "wheel_ships_no_code": {
        "errors": {("MC109", "pyproject.toml", 15), ("MC401", "acme_reports.cli:main")},
        "warnings": set(),
    },
    "py_modules_names_package": {"errors": {("MC109", "pyproject.toml", 12)}, "warnings": set()},
    # include of src/ledger without `from`: installed as src.ledger, `import ledger` fails (class 4).
    "installed_under_src": {
        "errors": {("MC109", "pyproject.toml", 15), ("MC401", "ledger.cli:main")},
        "warnings": {("MC105", "src/")},
    },
    # poetry-core 2: an include without `format` is sdist-only (tests/realbugs: deduce).
    "poetry_include_sdist_only": {"errors": set(), "warnings": {("MC102", "base_config.json")}},
    # A data file read at import time is reported even when its whole directory is missing, and is the
    # import failure's root cause (tests/realbugs: nvidia-co2).
    "data_dir_read_at_import": {
        "errors": {("MC101", "gridpkg/data/__init__.py"), ("MC301", "gridpkg.constants")},
        "warnings": {("MC102", "gridpkg/data/zones.json")},
    },
    # --- build and install -------------------------------------------------------------------------
    "build_fails": {"errors": {("MC001", "setup.py")}, "warnings": set()},  # the file that raised
    # The wheel builds from the tree but not from the sdist (tests/realbugs: pipoe, yleaf, depthcharge).
    "sdist_lacks_build_input": {"errors": {("MC001", "requirements.txt")}, "warnings": set()},
    "uninstallable": {"errors": {("MC002", None)}, "warnings": set()},
    # Class 7: the wheel does not install, and its dropped sub-package is still reported.
    "uninstallable_drops_file": {
        "errors": {("MC002", None), ("MC101", "ledgerkit/reports/monthly.py")},
        "warnings": set(),
    },
    # --- source -> sdist -> wheel diff -------------------------------------------------------------
    "include_without_star": {
        "errors": {("MC101", "pkg/sub/__init__.py"), ("MC101", "pkg/sub/mod.py")},
        "warnings": set(),
    },
    "explicit_packages_list": {
        "errors": {("MC101", "pkg/sub/__init__.py"), ("MC101", "pkg/sub/mod.py")},
        "warnings": set(),
    },
    # hatchling guesses acme_client/ from the name; only the force-included file ships
    "hatch_package_not_named_like_project": {
        "errors": {
            ("MC101", "acme/__init__.py"),
            ("MC101", "acme/cli.py"),
            ("MC401", "acme.cli:main"),
        },
        "warnings": set(),
    },
    "setup_cfg_literal_lists": {
        "errors": {("MC101", "ledger/reports/__init__.py"), ("MC101", "ledger/reports/monthly.py")},
        "warnings": {("MC102", "ledger/templates/statement.txt")},
    },
    "setup_py_literal_lists": {
        "errors": {("MC101", "shop/payments/__init__.py"), ("MC101", "shop/payments/card.py")},
        "warnings": {("MC102", "shop/templates/receipt.txt")},
    },
    "sdist_drops_file": {
        "errors": {("MC101", "pkg/extra.py"), ("MC301", "pkg.main")},
        "warnings": set(),
    },
    "missing_package_data": {"errors": set(), "warnings": {("MC102", "pkg/templates/page.html")}},
    # The --tests samples (tests/wheel/test_suite.py) without --tests: the import probe and the diff
    # alone. A dropped template is a warning and the run passes; its test says more (MC701).
    "tests_template_dropped": {
        "errors": set(),
        "warnings": {("MC102", "render_pages/templates/page.html")},
    },
    "tests_template_dropped_fixed": NO_FINDINGS,
    "tests_real_bug": NO_FINDINGS,
    "tests_import_dropped_subpackage": {
        "errors": {
            ("MC101", "plugin_host/plugins/__init__.py"),
            ("MC101", "plugin_host/plugins/echo.py"),
        },
        "warnings": set(),
    },
    "tests_flat_layout_schema": {
        "errors": set(),
        "warnings": {("MC102", "config_schemas/schemas/v1.json")},
    },
    "tests_reads_above_package": NO_FINDINGS,  # only --tests sees it
    "shadowed_module": {
        "errors": {("MC103", "pkg/util.py"), ("MC301", "pkg.cli")},
        "warnings": set(),
    },
    # util/ has no __init__.py and modules only deeper down: util.py still hides all of them
    "shadowed_by_namespace_dir": {
        "errors": {("MC103", "pkg/util.py"), ("MC301", "pkg.util.helpers.fmt")},
        "warnings": set(),
    },
    "generic_toplevel": {"errors": set(), "warnings": {("MC105", "tests/")}},
    "junk_in_wheel": {
        "errors": set(),
        "warnings": {("MC106", "pkg/.DS_Store"), ("MC106", "pkg/mod.py.orig")},
    },
    # pkg/.DS_Store is in the source but hatchling always drops it: neither junk nor missing data.
    "junk_in_wheel_hatchling": {
        "errors": set(),
        "warnings": {("MC106", "pkg/mod.py.orig"), ("MC106", "pkg/mod.py~")},
    },
    # --- static analysis ---------------------------------------------------------------------------
    "root_level_helper": {
        "errors": {("MC107", "pkg/app.py", 3), ("MC301", "pkg.app")},
        "warnings": set(),
    },
    "version_mismatch": {"errors": {("MC201", "pkg/__init__.py")}, "warnings": set()},
    "undeclared_dependency": {
        "errors": {("MC202", "pkg/crypto.py", 3), ("MC301", "pkg.crypto")},
        "warnings": set(),
    },
    "transitive_only": {"errors": set(), "warnings": {("MC203", "pkg/compat.py", 3)}},
    "undefined_name": {"errors": {("MC204", "pkg/tokens.py", 5)}, "warnings": set()},
    "floor_newer_than_requires": {
        "errors": {
            ("MC205", "floor_newer_than_requires/__init__.py", 3),
            ("MC205", "floor_newer_than_requires/__init__.py", 4),
            ("MC205", "floor_newer_than_requires/commands.py", 5),
        },
        "warnings": set(),
    },
    "floor_guarded_backport": {"errors": set(), "warnings": set()},
    # `import imp` with requires-python open above 3.12 (fine on mcheck's own 3.11: static only).
    "removed_stdlib_import": {
        "errors": {("MC206", "removed_stdlib/__init__.py", 3)},
        "warnings": set(),
        "infos": set(),
    },
    # An ASGI app whose health route needs 3.11 at request time: static MC205 only on mcheck's own
    # 3.11 (tests/wheel/test_pythons.py exercises it on 3.10 and 3.12).
    "app_on_two_pythons": {
        "errors": {("MC205", "app_on_two_pythons/__init__.py", 17)},
        "warnings": set(),
        "infos": set(),
    },
    # python = "supported": every installed interpreter >=3.11 admits; 3.14 and 3.15 are not here.
    "supported_pythons": {"errors": set(), "warnings": set(), "infos": {("MC004", None)}},
    # A C extension: the wheel is for the interpreter that built it (tests/wheel/test_pythons.py
    # builds it again for others).
    "platform_wheel_extension": {"errors": set(), "warnings": set()},
    # --- import probe ------------------------------------------------------------------------------
    "import_raises": {"errors": {("MC301", "pkg.boom")}, "warnings": set()},
    # One undeclared module breaks four: one MC301 (the rest in `affects`), one MC202 per file.
    "one_cause_many_failures": {
        "errors": {
            ("MC301", "plugkit.alpha"),
            ("MC202", "plugkit/alpha.py", 1),
            ("MC202", "plugkit/beta.py", 1),
            ("MC202", "plugkit/gamma.py", 1),
            ("MC202", "plugkit/delta.py", 1),
        },
        "warnings": set(),
    },
    # Imported alone, first, ormkit.backends.base meets ormkit.models half-initialised; after the
    # package's other modules (ormkit.models loads it) it imports: MC305, not MC301. The mutual
    # broken_a/broken_b cycle fails in every order and stays MC301, both.
    "import_order_cycle": {
        "errors": {("MC301", "ormkit.broken_a"), ("MC301", "ormkit.broken_b")},
        "warnings": {("MC305", "ormkit.backends.base")},
    },
    "import_hangs": {"errors": {("MC302", "pkg.spin")}, "warnings": set()},
    "import_exits": {"errors": {("MC303", "pkg.cli")}, "warnings": set()},
    "optional_extra": {
        "errors": set(),
        "warnings": set(),
        "infos": {("MC304", "pkg.cli"), ("MC304", "pkg._windows")},
    },
    # --- entry points and ASGI apps (MC401: the entry point's value; MC402-MC405: the app's module:attr) ---
    "entrypoint_missing_attr": {
        "errors": {("MC401", "entrypoint_missing_attr.cli:main")},
        "warnings": set(),
    },
    "asgi_lifespan_fails": {
        "errors": {("MC404", "asgi_lifespan_fails.main:app")},
        "warnings": set(),
    },
    # --- false-positive guards from real packages (docs/realworld.md): healthy idioms, no error ---
    # six/requests/rich/platformdirs/pytest idioms; modern.py's `unicode` (no version check) stays an error.
    # stdlib fallbacks (typing_extensions), version checks and TYPE_CHECKING are not dependencies.
    "fp_guarded_imports": NO_FINDINGS,
    "fp_py2_compat": {
        "errors": {("MC204", "compatpkg/modern.py", 5)},
        "warnings": set(),
        "infos": set(),
    },
    # poetry-core's vendored imports; tests and tools shipped inside the package (h11, trio, colorama).
    "fp_vendored_and_tests": {
        "errors": set(),
        "warnings": set(),
        "infos": {
            ("MC304", "vendpkg._tests.check_exit"),
            ("MC304", "vendpkg._tests.test_props"),
            ("MC304", "vendpkg._tools.gen_exports"),
            ("MC304", "vendpkg.tests.test_parse"),
        },
    },
    # A distribution named after a generic word installs it on purpose (PyPI's `build`).
    "fp_own_generic_name": NO_FINDINGS,
    # Integrations, extras, platform-only and version-only modules (tqdm, fsspec, unearth, trio, pexpect ...).
    # Healthy: tooling, desktop, extra-only and template modules that do not import in a plain venv
    # are infos, and the `[daemon]` entry point is not MC401 (README lists each real release shape).
    "fp_tools_and_desktops": {
        "errors": set(),
        "warnings": set(),
        "infos": {
            ("MC304", "deskkit.activation.activate_this"),
            ("MC304", "deskkit.benchmarks.bench_parse"),
            ("MC304", "deskkit.concurrency.eventlet"),
            ("MC304", "deskkit.daemon"),
            ("MC304", "deskkit.gtkreactor"),
            ("MC304", "deskkit.tests.helper_raises"),
            ("MC304", "deskkit.worker"),
        },
    },
    "fp_optional_by_design": {
        "errors": set(),
        "warnings": set(),
        "infos": {
            ("MC304", "optpkg._async_old"),
            ("MC304", "optpkg._greenlets"),
            ("MC304", "optpkg._windows_cffi"),
            ("MC304", "optpkg.cli"),
            ("MC304", "optpkg.contrib.emscripten"),
            ("MC304", "optpkg.implementations.smb"),
            ("MC304", "optpkg.legacy"),
            ("MC304", "optpkg.sphinxext"),
            ("MC304", "optpkg.tz_win"),
        },
    },
}

CLEAN_SAMPLES = [*sorted(name for name in SPEC if name.startswith("clean_")), "incident1_fixed"]

# Codes reproduced by the given-wheel tests below rather than by a sample project.
GIVEN_WHEEL_CODES = {"MC104", "MC108"}
# Codes reproduced by a hostile sample (tests/test_hostile.py), where a module attacks mcheck itself.
HOSTILE_CODES = {"MC003"}

# The sample the given-wheel tests tamper with, and the package it ships.
BASE_SAMPLE, BASE_PACKAGE = "clean_hatchling", "clean_hatch"


def key(finding) -> tuple:
    if finding.code in LINE_CODES:
        return (finding.code, finding.path, finding.line)
    return (finding.code, finding.path)


def keys(report, severity: str) -> set[tuple]:
    return {key(f) for f in report.findings if f.severity.value == severity}


def text_of(finding) -> str:
    return f"{finding.message}\n{finding.hint or ''}"


def only(report, code: str, path: str | None):
    matching = [f for f in report.findings if f.code == code and f.path == path]
    assert len(matching) == 1, f"expected one {code} for {path!r}, got {report.findings!r}"
    return matching[0]


# ---------------------------------------------------------------------------------------------------
# The table itself
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPEC))
def test_errors_and_warnings_are_exactly_the_specified_ones(checked, name):
    report = checked(name)
    assert keys(report, "error") == SPEC[name]["errors"]
    assert keys(report, "warning") == SPEC[name]["warnings"]
    if "infos" in SPEC[name]:
        assert keys(report, "info") == SPEC[name]["infos"]


@pytest.mark.parametrize("name", sorted(SPEC))
def test_exit_code_is_1_exactly_when_there_is_an_error(checked, name):
    assert checked(name).exit_code == (1 if SPEC[name]["errors"] else 0)


@pytest.mark.parametrize("name", CLEAN_SAMPLES)
def test_clean_samples_import_every_module_without_an_error(checked, name):
    report = checked(name)
    assert [f for f in report.findings if f.severity.value == "error"] == []
    assert report.exit_code == 0


def test_the_spec_covers_every_sample_and_every_code():
    from mcheck.catalogue import CATALOGUE

    for name in SPEC:
        assert (SAMPLES_DIR / name / "README.md").is_file(), (
            f"{name}: no such sample, or it has no README.md"
        )
    specified = {k[0] for spec in SPEC.values() for group in spec.values() for k in group}
    assert specified <= set(CATALOGUE)
    # The wheel pipeline's codes (build, install, diff, analysis, import probe); the app and deploy
    # checks (MC4xx, MC5xx) have their own tests.
    wheel_codes = {code for code in CATALOGUE if code[2] in "0123"}
    assert wheel_codes - specified == GIVEN_WHEEL_CODES | HOSTILE_CODES


def test_only_the_codes_the_catalogue_lists_carry_fixes(checked):
    """(tests/fix/test_fix.py proves a fix of each of those codes on a sample of its own.)"""
    from mcheck.catalogue import AUTOMATIC_FIXES

    carrying = {f.code for name in SPEC for f in checked(name).findings if f.fix is not None}
    assert carrying <= set(AUTOMATIC_FIXES)


def test_the_repository_samples_hold_no_build_leftovers():
    leftovers = [
        p.relative_to(SAMPLES_DIR).as_posix()
        for p in SAMPLES_DIR.rglob("*")
        if p.name in ("__pycache__", "build", "dist")
        or p.name.endswith((".egg-info", ".pyc", ".pyo"))
    ]
    assert leftovers == []


# ---------------------------------------------------------------------------------------------------
# What the findings say: the stage, the reason, the root cause
# ---------------------------------------------------------------------------------------------------


def test_build_failure_names_the_stage_and_shows_the_backends_error(checked):
    finding = only(checked("build_fails"), "MC001", "setup.py")
    assert finding.line == 2  # setuptools exec()s setup.py as "<string>": the frame is still named
    assert "sdist" in text_of(finding)
    assert "setup.py refuses to run" in text_of(finding)


def test_a_package_installed_under_src_says_where_it_went_and_how_to_root_it(checked):
    finding = only(checked("installed_under_src"), "MC109", "pyproject.toml")
    assert "installs it as src/ledger/, inside a top-level `src` package" in text_of(finding)
    assert '{ include = "ledger", from = "src" }' in text_of(finding)


def test_one_root_cause_is_reported_once_and_every_module_still_fails(checked):
    report = checked("one_cause_many_failures")
    finding = only(report, "MC301", "plugkit.alpha")
    assert finding.affects == ("plugkit.beta", "plugkit.delta", "plugkit.gamma")
    failed = {o.name for o in report.module_outcomes if o.status.value == "failed"}
    assert failed == {"plugkit.alpha", "plugkit.beta", "plugkit.delta", "plugkit.gamma"}


def test_an_order_dependent_module_names_the_module_that_loads_it(checked):
    report = checked("import_order_cycle")
    finding = only(report, "MC305", "ormkit.backends.base")
    assert "partially initialized module 'ormkit.backends.base'" in finding.message
    assert "it imports when `ormkit.models` is imported first" in finding.message
    outcomes = {o.name: o.status.value for o in report.module_outcomes}
    assert outcomes["ormkit.backends.base"] == "ok"
    assert outcomes["ormkit.broken_a"] == outcomes["ormkit.broken_b"] == "failed"


def test_install_failure_shows_the_installers_reason(checked):
    finding = only(checked("uninstallable"), "MC002", None)
    assert ">=4" in text_of(finding)


@pytest.mark.parametrize(
    ("name", "path", "reason"),
    [
        ("incident1_monorepo_core", "monkey_coder/email/sender.py", "__init__.py"),
        ("incident1_monorepo_core", "monkey_coder/app/routes/health.py", "__init__.py"),
        ("include_without_star", "pkg/sub/mod.py", "pkg*"),
        ("explicit_packages_list", "pkg/sub/mod.py", "packages"),
        ("setup_py_literal_lists", "shop/payments/card.py", "setup(packages=[...]) in setup.py"),
        ("hatch_package_not_named_like_project", "acme/cli.py", "(acme_client/)"),
        ("setup_cfg_literal_lists", "ledger/reports/monthly.py", "[options] packages in setup.cfg"),
        ("sdist_drops_file", "pkg/extra.py", "sdist"),
    ],
)
def test_missing_file_says_why_it_was_dropped(checked, name, path, reason):
    assert reason in text_of(only(checked(name), "MC101", path))


@pytest.mark.parametrize(
    ("name", "module", "root_cause"),
    [
        ("incident1_monorepo_core", "monkey_coder.app.main", "MC101"),
        ("incident1_monorepo_core", "monkey_coder.executor", "MC103"),
        ("shadowed_module", "pkg.cli", "MC103"),
        ("sdist_drops_file", "pkg.main", "MC101"),
        ("root_level_helper", "pkg.app", "MC107"),
        ("undeclared_dependency", "pkg.crypto", "MC202"),
    ],
)
def test_import_failure_points_at_its_root_cause(checked, name, module, root_cause):
    assert root_cause in text_of(only(checked(name), "MC301", module))


def test_import_failure_shows_the_exception(checked):
    finding = only(checked("import_raises"), "MC301", "pkg.boom")
    assert "RuntimeError" in text_of(finding)
    assert "boom" in text_of(finding)


def test_exit_at_import_gives_the_exit_status(checked):
    assert re.search(r"\b3\b", text_of(only(checked("import_exits"), "MC303", "pkg.cli")))


def test_undeclared_dependency_names_the_distribution_that_provides_the_module(checked):
    finding = only(checked("undeclared_dependency"), "MC202", "pkg/crypto.py")
    assert "Crypto" in text_of(finding)
    assert re.search(r"pycryptodome(?!x)", text_of(finding)), (
        "pycryptodome (not -x) provides Crypto"
    )


def test_undefined_name_is_named(checked):
    assert "URLSafeTimedSerializer" in text_of(
        only(checked("undefined_name"), "MC204", "pkg/tokens.py")
    )


def test_version_mismatch_shows_both_versions(checked):
    finding = only(checked("version_mismatch"), "MC201", "pkg/__init__.py")
    assert "1.9.0" in text_of(finding)
    assert "2.0.0" in text_of(finding)


def test_optional_extra_names_the_extra(checked):
    assert "cli" in text_of(only(checked("optional_extra"), "MC304", "pkg.cli"))


# ---------------------------------------------------------------------------------------------------
# The source tree is never written to
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPEC))
def test_checking_leaves_the_source_tree_byte_identical(sample_run, name):
    run = sample_run(name)
    assert run.tree_after == run.tree_before


def test_stale_setuptools_leftovers_neither_reach_the_wheel_nor_change(sample_copy):
    root = sample_copy("clean_setuptools_flat")
    # A module deleted from the source that survives in build/lib, and an egg-info that still lists it:
    # an in-place setuptools build would ship it (and importing it would raise).
    stale = root / "build" / "lib" / "clean_flat" / "stale.py"
    stale.parent.mkdir(parents=True)
    stale.write_text('raise RuntimeError("a stale build/lib module was shipped")\n')
    (root / "build" / "lib" / "clean_flat" / "__init__.py").write_text("")
    egg_info = root / "mcheck_sample_clean_setuptools_flat.egg-info"
    egg_info.mkdir()
    (egg_info / "SOURCES.txt").write_text(
        "pyproject.toml\nclean_flat/__init__.py\nclean_flat/core.py\nclean_flat/stale.py\n"
    )
    (egg_info / "top_level.txt").write_text("clean_flat\n")
    before = tree_digest(root)

    report = run_check(root)

    assert tree_digest(root) == before, "the run wrote to, or deleted from, the source tree"
    assert [f for f in report.findings if "stale" in (f.path or "")] == []
    assert keys(report, "error") == set()
    assert keys(report, "warning") == set()


# ---------------------------------------------------------------------------------------------------
# A given wheel: MC104 (a file neither the source nor a fresh build has) and MC108 (RECORD mismatch)
# ---------------------------------------------------------------------------------------------------


def _uv() -> str:
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            pytest.fail("uv is needed to build the given wheels (it is a dependency of mcheck)")
        return found


def build_wheel(project: Path, outdir: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    proc = subprocess.run(
        [
            _uv(),
            "build",
            "--wheel",
            "--quiet",
            "--python",
            sys.executable,
            "--out-dir",
            str(outdir),
            str(project),
        ],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = outdir.glob("*.whl")
    return wheel


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def rewrite_wheel(
    wheel: Path,
    dest: Path,
    *,
    add: dict[str, bytes] | None = None,
    replace: dict[str, bytes] | None = None,
    update_record: bool,
) -> Path:
    """Copy ``wheel`` to ``dest`` (same file name) with members added or replaced; RECORD is rewritten to
    match only when ``update_record``."""
    add, replace = add or {}, replace or {}
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / wheel.name
    with zipfile.ZipFile(wheel) as zin:
        names = zin.namelist()
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        contents = {n: zin.read(n) for n in names}
    assert not set(add) & set(contents), "add is for new members"
    assert set(replace) <= set(contents), "replace is for existing members"
    contents.update(replace)
    contents.update(add)
    if update_record:
        rows = [
            [n, _record_hash(data), str(len(data))]
            for n, data in contents.items()
            if n != record_name
        ]
        rows.append([record_name, "", ""])
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        contents[record_name] = buf.getvalue().encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in contents.items():  # dist-info last, as in the original
            zout.writestr(name, data)
    return out


def record_mismatches(wheel: Path) -> set[str]:
    """Members whose RECORD entry is missing or wrong (an independent check of the test's own tampering)."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        record_name = next(n for n in names if n.endswith(".dist-info/RECORD"))
        rows = {
            row[0]: row for row in csv.reader(io.StringIO(zf.read(record_name).decode())) if row
        }
        bad = set()
        for name in names:
            if name == record_name:
                continue
            data = zf.read(name)
            row = rows.get(name)
            if row is None or row[1] != _record_hash(data) or row[2] != str(len(data)):
                bad.add(name)
        return bad


@pytest.fixture(scope="module")
def given_wheels(tmp_path_factory):
    """The wheel of ``clean_hatchling`` built from a copy of it, plus tampered variants of that wheel."""
    from conftest import copy_sample

    base = tmp_path_factory.mktemp("given-wheels")
    source = copy_sample(BASE_SAMPLE, base / "source")
    # Build from a second copy: the source handed to check_wheel stays exactly as committed.
    built = build_wheel(copy_sample(BASE_SAMPLE, base / "build-copy"), base / "built")
    init = f"{BASE_PACKAGE}/__init__.py"
    core = f"{BASE_PACKAGE}/core.py"
    with zipfile.ZipFile(built) as zf:
        assert {init, core} <= set(zf.namelist())
        core_bytes = zf.read(core)
    return {
        "source": source,
        "pristine": built,
        "stale_module": rewrite_wheel(
            built,
            base / "stale",
            add={f"{BASE_PACKAGE}/stale.py": b'"""Deleted from the source long ago."""\n'},
            update_record=True,
        ),
        "changed_bytes": rewrite_wheel(
            built,
            base / "changed",
            replace={core: core_bytes + b"# patched after the build\n"},
            update_record=False,
        ),
        "unlisted_file": rewrite_wheel(
            built,
            base / "unlisted",
            add={f"{BASE_PACKAGE}/extra.py": b"EXTRA = 1\n"},
            update_record=False,
        ),
    }


def test_the_tampered_wheels_are_what_the_tests_claim(given_wheels):
    assert record_mismatches(given_wheels["pristine"]) == set()
    assert record_mismatches(given_wheels["stale_module"]) == set()
    assert record_mismatches(given_wheels["changed_bytes"]) == {f"{BASE_PACKAGE}/core.py"}
    assert record_mismatches(given_wheels["unlisted_file"]) == {f"{BASE_PACKAGE}/extra.py"}


def test_given_wheel_matching_its_source_is_clean(given_wheels):
    report = run_check(given_wheels["pristine"], source=given_wheels["source"])
    assert keys(report, "error") == set()
    assert keys(report, "warning") == set()
    assert report.exit_code == 0


def test_given_wheel_with_a_file_the_source_does_not_have(given_wheels):
    before = tree_digest(given_wheels["source"])
    report = run_check(given_wheels["stale_module"], source=given_wheels["source"])
    assert keys(report, "error") == {("MC104", f"{BASE_PACKAGE}/stale.py")}
    assert keys(report, "warning") == set()
    assert report.exit_code == 1
    assert tree_digest(given_wheels["source"]) == before


@pytest.mark.parametrize(
    ("variant", "path"),
    [
        ("changed_bytes", f"{BASE_PACKAGE}/core.py"),
        ("unlisted_file", f"{BASE_PACKAGE}/extra.py"),
    ],
)
def test_given_wheel_whose_record_does_not_match(given_wheels, variant, path):
    report = run_check(given_wheels[variant])
    assert keys(report, "error") == {("MC108", path)}
    assert keys(report, "warning") == set()
    assert report.exit_code == 1


def test_given_wheel_checked_from_an_unrelated_project_is_not_diffed_against_it(
    given_wheels, tmp_path, monkeypatch
):
    from conftest import copy_sample

    # The current directory is another project (one whose build would fail): mcheck must not build it.
    monkeypatch.chdir(copy_sample("build_fails", tmp_path / "unrelated"))
    report = run_check(given_wheels["pristine"])
    assert "build" not in {stage.name for stage in report.stages}
    assert keys(report, "error") == set()
    assert keys(report, "warning") == set()


def test_messages_name_installed_files_by_their_path_in_the_wheel_not_the_temporary_venv(checked):
    report = checked("incident1_monorepo_core")
    (executor,) = [
        f for f in report.findings if (f.code, f.path) == ("MC301", "monkey_coder.executor")
    ]
    assert (
        "cannot import name 'ExecuteRequest' from 'monkey_coder.models' (monkey_coder/models/__init__.py)"
        in executor.message
    )
    assert not [
        f
        for f in report.findings
        if "site-packages" in f.message or "site-packages" in (f.hint or "")
    ]


def test_the_floor_finding_names_the_version_that_introduced_it(checked):
    messages = sorted(
        f.message for f in checked("floor_newer_than_requires").findings if f.code == "MC205"
    )
    assert messages == [
        "`from typing import Self` needs Python 3.11, but requires-python allows 3.9",
        "`import tomllib` needs Python 3.11, but requires-python allows 3.9",
        "pattern matching needs Python 3.10, but requires-python allows 3.9",
    ]
