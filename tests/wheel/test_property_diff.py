"""Property test: mcheck's drop diagnosis (MC101, MC102, MC103) against an independent oracle.

Hypothesis generates package trees for a setuptools project that uses
``[tool.setuptools.packages.find] include = ["pp*"], namespaces = false``: nested directories, some
without ``__init__.py``, modules shadowed by a directory of the same name, data files. The oracle below
is written from setuptools' documented behaviour, not from mcheck's code:

* a directory is a package when it and every directory above it (up to ``pp/``) has ``__init__.py``;
  ``find_packages`` does not look below a directory that is not a package;
* the sdist and the wheel contain exactly the ``.py`` files and the ``py.typed`` markers directly inside
  packages (setuptools >= 69 ships ``py.typed`` by itself; no other package data is declared and there is
  no ``MANIFEST.in``, so other data files reach neither);
* a directory without ``__init__.py`` that holds no code below it is a data directory of its package:
  its files are dropped because no package data is declared, which is their reason, not the missing
  ``__init__.py``;
* Python imports ``x.py`` rather than a directory ``x/`` without ``__init__.py`` and a package ``x/``
  rather than ``x.py``: either way one of them is unreachable.

Most examples are checked without building: the oracle's wheel and sdist are written as they would be
built. A handful are really built with setuptools, which checks the oracle itself against reality.
"""

from __future__ import annotations

import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mcheck.checks import CheckContext, run_one
from mcheck.checks.contents import missing_from_wheel, shadowed_modules
from mcheck.wheel.artifacts import SdistContents, WheelContents
from mcheck.wheel.discover import discover_project

TOP = "pp"
PYPROJECT = textwrap.dedent(f"""\
    [build-system]
    requires = ["setuptools>=69"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "mcheck-property-tree"
    version = "0.1.0"

    [tool.setuptools.packages.find]
    include = ["{TOP}*"]
    namespaces = false
    """)
DIST_INFO = "mcheck_property_tree-0.1.0.dist-info"

DIR_NAMES = st.sampled_from(["core", "util", "models", "api", "cli"])
LEAVES = st.one_of(
    st.just("__init__.py"),
    DIR_NAMES.map(lambda name: f"{name}.py"),
    st.sampled_from(["data.json", "py.typed", "page.html"]),
)
# pp/__init__.py always exists: the top-level package itself is never the question
TREES = st.lists(st.tuples(st.lists(DIR_NAMES, max_size=3), LEAVES), min_size=1, max_size=12).map(
    lambda entries: frozenset(
        {f"{TOP}/__init__.py"} | {"/".join([TOP, *dirs, leaf]) for dirs, leaf in entries}
    )
)

DATA_ONLY_DIRECTORY = frozenset({f"{TOP}/__init__.py", f"{TOP}/core/data.json"})

# ---------------------------------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------------------------------


def parent(path: str) -> str:
    return PurePosixPath(path).parent.as_posix()


def dirs_between(path: str) -> list[str]:
    """The directories from just below ``pp/`` down to the one holding ``path``, outermost first."""
    parts = PurePosixPath(path).parent.parts
    return ["/".join(parts[:i]) for i in range(2, len(parts) + 1)]


def lacking_init(files: frozenset[str], path: str) -> list[str]:
    return [d for d in dirs_between(path) if f"{d}/__init__.py" not in files]


def holds_code_below(files: frozenset[str], directory: str) -> bool:
    return any(f.startswith(f"{directory}/") and f.endswith(".py") for f in files)


def shipped(files: frozenset[str]) -> frozenset[str]:
    """What setuptools puts in the sdist's and the wheel's ``pp/``: modules and type markers directly inside
    packages."""
    return frozenset(
        f for f in files if f.endswith((".py", "/py.typed")) and not lacking_init(files, f)
    )


@dataclass(frozen=True)
class Expected:
    findings: frozenset[tuple[str, str]]
    missing_init: dict[str, str]  # MC101/MC102 path -> the outermost directory without __init__.py


def expected_findings(files: frozenset[str]) -> Expected:
    in_wheel = shipped(files)
    missing = sorted(files - in_wheel)
    missing_py_dirs = {
        parent(f) for f in missing if f.endswith(".py") and not f.endswith("/__init__.py")
    }
    findings = {("MC101", f) for f in missing if f.endswith(".py")}
    # a data file in a directory whose modules are missing too is covered by their MC101 findings; in a
    # dropped data package (nothing but an __init__.py) the data files are what matters: reported
    findings |= {
        ("MC102", f) for f in missing if not f.endswith(".py") and parent(f) not in missing_py_dirs
    }
    py_dirs = {d for f in files if f.endswith(".py") for d in dirs_between(f)}
    findings |= {
        ("MC103", f)
        for f in files
        if f.endswith(".py") and not f.endswith("/__init__.py") and f[:-3] in py_dirs
    }
    # a directory without __init__.py that holds no code anywhere below it is a data directory of its
    # package: the reason its files are dropped is undeclared package data, not a missing __init__.py
    missing_init = {
        path: lacking_init(files, path)[0]
        for code, path in findings
        if code != "MC103"
        and lacking_init(files, path)
        and holds_code_below(files, lacking_init(files, path)[0])
    }
    return Expected(frozenset(findings), missing_init)


# ---------------------------------------------------------------------------------------------------
# Running mcheck's checks on a tree
# ---------------------------------------------------------------------------------------------------


def write_project(root: Path, files: frozenset[str]) -> None:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("VALUE = 1\n" if rel.endswith(".py") else "{}\n")


def oracle_wheel(path: Path, files: frozenset[str]) -> WheelContents:
    """The wheel the oracle says setuptools builds (with an honest RECORD-free dist-info: only the diff is checked)."""
    with zipfile.ZipFile(path, "w") as zf:
        for rel in sorted(shipped(files)):
            zf.writestr(rel, "VALUE = 1\n" if rel.endswith(".py") else "")
        zf.writestr(
            f"{DIST_INFO}/METADATA",
            "Metadata-Version: 2.1\nName: mcheck-property-tree\nVersion: 0.1.0\n",
        )
    return WheelContents.read(path)


def diff_findings(
    root: Path, wheel: WheelContents, sdist: SdistContents
) -> dict[tuple[str, str], str]:
    """(code, path) -> hint of every MC101/MC102/MC103 finding mcheck makes."""
    ctx = CheckContext(wheel=wheel, project=discover_project(root), sdist=sdist)
    findings = [*run_one(missing_from_wheel, ctx), *run_one(shadowed_modules, ctx)]
    assert all(f.path is not None for f in findings)
    return {(f.code, f.path): f.hint or "" for f in findings}  # type: ignore[misc]


def assert_matches_oracle(files: frozenset[str], found: dict[tuple[str, str], str]) -> None:
    expected = expected_findings(files)
    assert set(found) == expected.findings, f"tree: {sorted(files)}"
    for path, outermost in expected.missing_init.items():
        code = "MC101" if path.endswith(".py") else "MC102"
        assert found[(code, path)].startswith(f"{outermost}/ has no __init__.py"), found[
            (code, path)
        ]
    for (code, path), hint in found.items():
        if (
            code != "MC103" and path not in expected.missing_init
        ):  # a data file inside a real package
            assert hint.startswith(f"{path} is not in the sdist"), hint


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=TREES)
# a data-only directory without __init__.py: undeclared package data, not a missing __init__.py
@example(files=DATA_ONLY_DIRECTORY)
def test_the_diff_of_any_tree_matches_the_oracle(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("tree") / "project"
    write_project(root, files)
    wheel = oracle_wheel(root.parent / "mcheck_property_tree-0.1.0-py3-none-any.whl", files)
    sdist = SdistContents(
        path=root.parent / "sdist.tar.gz", files=frozenset({"pyproject.toml"} | shipped(files))
    )
    assert_matches_oracle(files, diff_findings(root, wheel, sdist))


def test_the_oracle_on_a_hand_written_tree():
    """The oracle itself, on a tree whose answer is known: a check that the property test tests something."""
    files = frozenset(
        {
            "pp/__init__.py",
            "pp/core.py",
            "pp/core/__init__.py",
            "pp/api/v1/__init__.py",
            "pp/api/v1/routes.py",
            "pp/api/page.html",
            "pp/py.typed",
            "pp/util.py",
            "pp/util/x/m.py",
        }
    )
    assert shipped(files) == {
        "pp/__init__.py",
        "pp/core.py",
        "pp/core/__init__.py",
        "pp/util.py",
        "pp/py.typed",
    }
    expected = expected_findings(files)
    assert expected.findings == {
        ("MC101", "pp/api/v1/__init__.py"),
        ("MC101", "pp/api/v1/routes.py"),
        ("MC101", "pp/util/x/m.py"),
        ("MC102", "pp/api/page.html"),
        ("MC103", "pp/core.py"),
        ("MC103", "pp/util.py"),
    }
    assert expected.missing_init == {
        "pp/api/v1/__init__.py": "pp/api",
        "pp/api/v1/routes.py": "pp/api",
        "pp/util/x/m.py": "pp/util",
        "pp/api/page.html": "pp/api",
    }


# Real builds are slow (about 2 s each): a few examples check the oracle against setuptools itself.
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=TREES)
@example(
    files=frozenset(
        {  # every kind of drop at once, so each run checks each oracle rule against setuptools
            "pp/__init__.py",
            "pp/py.typed",
            "pp/data.json",
            "pp/core/__init__.py",
            "pp/core/models.py",
            "pp/api/cli.py",
            "pp/util.py",
            "pp/util/__init__.py",
        }
    )
)
@example(files=DATA_ONLY_DIRECTORY)
def test_setuptools_builds_what_the_oracle_says_and_mcheck_diagnoses_it(tmp_path_factory, files):
    from mcheck.wheel.build import build_artifacts

    root = tmp_path_factory.mktemp("built") / "project"
    write_project(root, files)
    built = build_artifacts(discover_project(root), root.parent / "work")
    assert built.failure is None, built.failure
    assert built.wheel is not None and built.sdist is not None
    wheel, sdist = WheelContents.read(built.wheel), SdistContents.read(built.sdist)

    assert {f for f in wheel.installed_files if f.startswith(f"{TOP}/")} == shipped(files)
    assert {f for f in sdist.files if f.startswith(f"{TOP}/")} == shipped(files)
    assert_matches_oracle(files, diff_findings(root, wheel, sdist))
