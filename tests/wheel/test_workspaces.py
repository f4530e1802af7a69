"""Local dependencies: a project that depends on another project of the same repository by path is
checked with that project built from the repository, never with an index's package of the same name."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from conftest import copy_sample
from mcheck.api import check_wheel
from mcheck.tomlfile import read_toml
from mcheck.wheel.local_deps import local_dependencies, workspace_members, workspace_root


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _project(name: str, *, dependencies: str = "", extra: str = "") -> str:
    return f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{dependencies}]\n{extra}'


def _found(root: Path, base: Path | None = None) -> list[tuple[str, str, str]]:
    """(name, directory relative to ``base``, how) of every local dependency of ``root``."""
    base = (base or root.parent).resolve()
    return [
        (d.name, d.root.resolve().relative_to(base).as_posix(), d.how)
        for d in local_dependencies(root, read_toml(root / "pyproject.toml"))
    ]


def test_a_uv_workspace_member_and_a_uv_path_source_are_local(tmp_path):
    repo = _write(
        tmp_path / "repo",
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/old"]\n',
            "packages/core/pyproject.toml": _project("acme-core", dependencies='"acme_utils"')
            + '[tool.uv.sources]\nAcme_Utils = { path = "../utils" }\n',
            "packages/utils/pyproject.toml": _project("acme-utils"),
            "packages/old/pyproject.toml": _project("acme-core-old"),
            "packages/api/pyproject.toml": _project(
                "acme-api", dependencies='"acme-core>=1", "httpx"'
            )
            + "[tool.uv.sources]\nacme-core = { workspace = true }\n",
        },
    )
    assert workspace_root(repo / "packages/api") == repo.resolve()
    assert [p.name for p in workspace_members(repo)] == ["api", "core", "utils"]  # virtual root
    api = repo / "packages/api"
    assert _found(api, repo) == [
        ("acme-core", "packages/core", "[tool.uv.sources] workspace"),
        ("acme-utils", "packages/utils", "[tool.uv.sources] path"),  # transitively, through core
    ]


@pytest.mark.parametrize(
    ("pyproject", "how"),
    [
        (_project("app", dependencies='"core @ file:///{core}"'), "direct reference"),
        (
            _project("app", dependencies='"core @ file:///${{PROJECT_ROOT}}/../core"'),
            "direct reference",
        ),
        (_project("app", dependencies='"core @ {{root:uri}}/../core"'), "direct reference"),
        (
            '[tool.poetry]\nname = "app"\n[tool.poetry.dependencies]\npython = "^3.9"\n'
            'core = {{ path = "../core", develop = true }}\n',
            "poetry path",
        ),
    ],
)
def test_every_way_of_writing_a_path_dependency_is_local(tmp_path, pyproject, how):
    core = _write(tmp_path / "core", {"pyproject.toml": _project("core")})
    app = _write(
        tmp_path / "app", {"pyproject.toml": pyproject.format(core=core.as_posix().lstrip("/"))}
    )
    assert _found(app) == [("core", "core", how)]


def test_an_index_requirement_is_not_local(tmp_path):
    app = _write(
        tmp_path / "app", {"pyproject.toml": _project("app", dependencies='"requests>=2"')}
    )
    assert _found(app) == []


# --- end to end ------------------------------------------------------------------------------------


def _decoy_wheel(directory: Path, name: str, version: str, module: str) -> Path:
    """A wheel of ``name`` that fails loudly when imported: what an index might hold under that name."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{module}/__init__.py": 'raise RuntimeError("the decoy from the index was installed")\n',
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    wheel = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def test_a_member_is_checked_with_its_sibling_built_from_the_repository(tmp_path, monkeypatch):
    repo = copy_sample("uv_workspace", tmp_path / "repo")
    # An index that holds a decoy under the sibling's name, at a higher version: a resolver asked
    # for `mcheck-ws-core` would take it, and importing the member would fail.
    _decoy_wheel(tmp_path / "index", "mcheck-ws-core", "99.0", "mcheck_ws_core")
    monkeypatch.setenv("UV_FIND_LINKS", str(tmp_path / "index"))
    report = check_wheel(repo / "packages/api", cache=False)
    assert [(f.code, f.path) for f in report.findings] == []
    assert (report.modules.imported, report.modules.failed) == (1, 0)
    assert [s.name for s in report.stages][:3] == ["discover", "build", "local"]


def test_a_sibling_that_does_not_build_is_mc001_at_its_own_build_file(tmp_path):
    repo = copy_sample("uv_workspace", tmp_path / "repo")
    core = repo / "packages/core/pyproject.toml"
    core.write_text(
        core.read_text().replace(
            'requires = ["hatchling"]', 'requires = ["hatchling"]\nbackend-path = ["nowhere"]'
        )
    )
    report = check_wheel(repo / "packages/api", cache=False)
    [failure] = [f for f in report.findings if f.severity.value == "error"]
    assert (failure.code, failure.path) == ("MC001", "../core/pyproject.toml")
    assert failure.message.startswith(
        "mcheck-ws-core (../core), a local dependency declared by [tool.uv.sources] workspace, "
        "does not build: "
    )


def test_an_undeclared_sibling_is_mc202_whose_fix_names_the_workspace_member(tmp_path):
    repo = copy_sample("uv_workspace_undeclared_sibling", tmp_path / "repo")
    report = check_wheel(repo / "packages/api", cache=False)
    assert {(f.code, f.path, f.line) for f in report.findings} == {
        ("MC202", "mcheck_ws_api/__init__.py", 3),
        ("MC301", "mcheck_ws_api", None),
    }
    [undeclared] = [f for f in report.findings if f.code == "MC202"]
    assert undeclared.hint == (
        "`mcheck_ws_core` is mcheck-ws-core, the workspace member ../core: declare it, "
        '"mcheck-ws-core" in [project] dependencies and `mcheck-ws-core = { workspace = true }` in '
        "[tool.uv.sources]"
    )


def test_mcheck_wheel_on_a_workspace_root_checks_each_member(tmp_path):
    import json
    import subprocess
    import sys

    repo = copy_sample("uv_workspace", tmp_path / "repo")
    proc = subprocess.run(
        [sys.executable, "-m", "mcheck", "wheel", ".", "-f", "json", "--no-cache"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    reports = json.loads(proc.stdout)["reports"]
    assert [(r["target"], r["findings"]) for r in reports] == [
        ("packages/api", []),
        ("packages/core", []),
        ("packages/worker", []),
    ]


def test_a_virtual_workspace_root_is_not_a_project(tmp_path):
    from mcheck.errors import UsageError

    repo = copy_sample("uv_workspace", tmp_path / "repo")
    with pytest.raises(UsageError, match="a uv workspace root without a project of its own"):
        check_wheel(repo)


def test_a_file_the_siblings_wheel_drops_is_the_root_cause_of_the_members_failure(tmp_path):
    repo = copy_sample("uv_workspace_sibling_drops_file", tmp_path / "repo")
    report = check_wheel(repo / "packages/api", cache=False)
    assert {(f.code, f.path) for f in report.findings} == {
        ("MC101", "mcheck_wsd_core/formats/jsonl.py"),  # the sibling's wheel drops it
        ("MC301", "mcheck_wsd_api"),  # so the member does not import
    }
    dropped = next(f for f in report.findings if f.code == "MC101")
    assert dropped.message.startswith(
        "in the local dependency mcheck-wsd-core (../core): module "
        "src/mcheck_wsd_core/formats/jsonl.py is not in the wheel"
    )
    failure = next(f for f in report.findings if f.code == "MC301")
    assert failure.hint == "root cause: MC101 mcheck_wsd_core/formats/jsonl.py"


def test_a_path_source_to_a_directory_that_is_not_there_is_not_local(tmp_path):
    # An sdist keeps `[tool.uv.sources]` but not the sibling it names: the index provides it then.
    app = _write(
        tmp_path / "app",
        {
            "pyproject.toml": _project("app", dependencies='"core"')
            + '[tool.uv.sources]\ncore = { path = "../core" }\n'
        },
    )
    assert _found(app) == []
