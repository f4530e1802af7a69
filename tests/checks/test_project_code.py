"""MC109: a package of the source tree that the wheel does not ship at all, with the setting that left
it out, per backend (hand-made projects and wheels: no build runs here)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from mcheck.checks import CheckContext, run_one
from mcheck.checks.project_code import package_not_shipped, source_packages
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import discover_project

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

BACKENDS = {
    "hatchling": ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'),
    "setuptools": (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    ),
    "poetry": (
        '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
    ),
    "flit": ('[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit_core.buildapi"\n'),
    "uv": ('[build-system]\nrequires = ["uv_build"]\nbuild-backend = "uv_build"\n'),
}


def make_wheel(
    tmp_path: Path, files: dict[str, str], *, name: str, entry_points: str = ""
) -> WheelContents:
    dist = name.replace("-", "_")
    path = tmp_path / f"{dist}-1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for rel, text in files.items():
            zf.writestr(rel, text)
        zf.writestr(
            f"{dist}-1.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1\n"
        )
        if entry_points:
            zf.writestr(f"{dist}-1.dist-info/entry_points.txt", entry_points)
        zf.writestr(f"{dist}-1.dist-info/RECORD", "")
    return WheelContents.read(path)


def _project(root: Path, backend: str, extra: str, files: dict[str, str]):
    (root / "pyproject.toml").write_text(
        BACKENDS[backend] + '[project]\nname = "acme-tools"\nversion = "1"\n' + extra,
        encoding="utf-8",
    )
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return discover_project(root)


def _findings(
    tmp_path: Path, backend: str, extra: str, wheel_files: dict[str, str], *, entry_points: str = ""
) -> list[tuple[str, str | None, int | None, str]]:
    source = tmp_path / "src-tree"
    source.mkdir()
    project = _project(
        source,
        backend,
        extra,
        {
            "acme/__init__.py": "",
            "acme/core.py": "",
            "tests/__init__.py": "",
            "tests/test_core.py": "",
            "setup.py": "",
        },
    )
    wheel = make_wheel(tmp_path, wheel_files, name="acme-tools", entry_points=entry_points)
    return [
        (f.code, f.path, f.line, f.message + " | " + (f.hint or ""))
        for f in run_one(package_not_shipped, CheckContext(wheel=wheel, project=project))
    ]


def test_source_packages_are_the_regular_top_level_packages_but_tests(tmp_path):
    project = _project(
        tmp_path,
        "hatchling",
        "",
        {
            "acme/__init__.py": "",
            "acme/sub/x.py": "",
            "tests/__init__.py": "",
            "src/other/__init__.py": "",
            "loose/mod.py": "",
        },
    )
    assert [(p.name, p.directory, p.modules) for p in source_packages(project)] == [
        ("acme", "acme", ("acme/__init__.py", "acme/sub/x.py")),
        ("other", "src/other", ("src/other/__init__.py",)),
    ]


def test_hatch_packages_naming_the_distribution(tmp_path):
    [(code, path, line, text)] = _findings(
        tmp_path, "hatchling", '[tool.hatch.build.targets.wheel]\npackages = ["acme-tools"]\n', {}
    )
    assert (code, path, line) == ("MC109", "pyproject.toml", 8)
    assert "packages = ['acme-tools'] names 'acme-tools', which is not a path" in text
    assert 'packages = ["acme"]' in text and "ships no Python code of the project at all" in text


def test_hatch_default_selection_finding_nothing_names_the_project_name(tmp_path):
    [(_, path, line, text)] = _findings(
        tmp_path, "hatchling", "", {}, entry_points="[console_scripts]\nacme = acme.core:main\n"
    )
    assert (path, line) == ("pyproject.toml", 5)  # name = "acme-tools"
    assert "named after the project (acme_tools/ or src/acme_tools/" in text


@pytest.mark.parametrize(
    ("backend", "extra", "line", "words"),
    [
        (
            "setuptools",
            '[tool.setuptools]\npy-modules = ["acme"]\n',
            8,
            "which is a package directory",
        ),
        ("setuptools", '[tool.setuptools]\npackages = ["acme_tools"]\n', 8, "does not list `acme`"),
        (
            "poetry",
            '[tool.poetry]\npackages = [{ include = "acme_tools" }]\n',
            8,
            "does not include acme",
        ),
        (
            "flit",
            '[tool.flit.module]\nname = "acme_tools"\n',
            8,
            "ships exactly one module or package",
        ),
        (
            "uv",
            '[tool.uv.build-backend]\nmodule-name = "acme_tools"\n',
            8,
            "ships the module `acme_tools`",
        ),
    ],
)
def test_each_backend_names_its_setting(tmp_path, backend, extra, line, words):
    [(code, path, found_line, text)] = _findings(tmp_path, backend, extra, {})
    assert (code, path, found_line) == ("MC109", "pyproject.toml", line)
    assert words in text


def test_an_unshipped_package_nothing_asks_for_is_the_projects_choice(tmp_path):
    # The wheel ships code (another package) and neither the distribution name nor an entry point names
    # `acme`: a helper package kept out of the wheel on purpose is not reported.
    assert _findings(tmp_path, "hatchling", "", {"acme_tools/__init__.py": ""}) == []


def test_an_entry_point_naming_an_unshipped_package_makes_it_expected(tmp_path):
    found = _findings(
        tmp_path,
        "hatchling",
        "",
        {"acme_tools/__init__.py": ""},
        entry_points="[console_scripts]\nacme = acme.core:main\n",
    )
    assert [(code, path) for code, path, _, _ in found] == [("MC109", "pyproject.toml")]


def test_a_package_of_which_only_a_generated_file_ships_is_mapped_for_mc101(tmp_path):
    # aiven-client (tests/realbugs): only hatch-vcs's untracked `_version.py` reached the wheel; the
    # package directory is still where every other file should have come from.
    from mcheck.checks.contents import missing_from_wheel

    source = tmp_path / "tree"
    source.mkdir()
    project = _project(source, "hatchling", "", {"acme/__init__.py": "", "acme/core.py": ""})
    wheel = make_wheel(tmp_path, {"acme/_version.py": ""}, name="acme-tools")
    found = [
        (f.code, f.path)
        for f in run_one(missing_from_wheel, CheckContext(wheel=wheel, project=project))
    ]
    assert found == [("MC101", "acme/__init__.py"), ("MC101", "acme/core.py")]


@pytest.mark.parametrize(
    ("requires", "entry", "formats"),
    [
        ("poetry-core>=2", '"data.json"', ("sdist",)),
        ("poetry-core>=1,<2", '"data.json"', ("sdist", "wheel")),
        (
            "poetry-core>=2",
            '{ path = "data.json", format = ["sdist", "wheel"] }',
            ("sdist", "wheel"),
        ),
    ],
)
def test_poetry_include_defaults_follow_the_poetry_core_major(tmp_path, requires, entry, formats):
    from mcheck.wheel.selection import poetry_includes

    (tmp_path / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "poetry.core.masonry.api"\n'
        f'[project]\nname = "x"\nversion = "1"\n[tool.poetry]\ninclude = [{entry}]\n',
        encoding="utf-8",
    )
    [include] = poetry_includes(discover_project(tmp_path))
    assert (include.pattern, include.formats, include.line) == ("data.json", formats, 8)


@pytest.mark.parametrize(
    ("entry", "reported"),
    [
        (
            '"CHANGELOG.md"',
            True,
        ),  # poetry-core 2: no format means the sdist only, which is rarely meant
        ('{ path = "CHANGELOG.md", format = ["sdist"] }', False),  # said on purpose (tomlkit)
        ('{ path = "CHANGELOG.md", format = ["sdist", "wheel"] }', True),
    ],
)
def test_a_declared_include_missing_from_the_wheel(tmp_path, entry, reported):
    from mcheck.checks.declared_data import included_but_not_in_wheel
    from mcheck.wheel.artifacts import SdistContents

    source = tmp_path / "tree"
    source.mkdir()
    project = _project(
        source,
        "poetry",
        f"[tool.poetry]\ninclude = [{entry}]\n",
        {"CHANGELOG.md": "", "acme/x.py": ""},
    )
    wheel = make_wheel(tmp_path, {"acme/x.py": ""}, name="acme-tools")
    sdist = SdistContents(
        tmp_path / "x.tar.gz", frozenset({"CHANGELOG.md", "acme/x.py", "pyproject.toml"})
    )
    found = [
        (f.code, f.path)
        for f in run_one(
            included_but_not_in_wheel, CheckContext(wheel=wheel, project=project, sdist=sdist)
        )
    ]
    assert found == ([("MC102", "CHANGELOG.md")] if reported else [])
