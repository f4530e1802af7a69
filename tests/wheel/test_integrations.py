"""mcheck inside CI and release pipelines: repository paths for code scanning, one JUnit test per module,
the GitHub Action (``action.yml``) and the pre-commit hook (``.pre-commit-hooks.yaml``).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

import mcheck.api
from conftest import REPO_ROOT, copy_sample
from mcheck.cli import app
from mcheck.findings import Finding, ModuleOutcome, ModuleStatus, Report, SubjectKind
from mcheck.reporters import render
from mcheck.reporters.sarif import to_sarif_data
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import Project
from mcheck.wheel.source_map import RepoPaths, project_file

REPO = REPO_ROOT
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command line")


pytestmark = pytest.mark.usefixtures("no_github_summary")


# --- repository paths: a src layout in a monorepo sub-directory ---------------------------------------------


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the incident 1 package as ``packages/core`` with a ``src/`` layout."""
    if shutil.which("git") is None:
        pytest.skip("needs the git command line")
    repo = tmp_path_factory.mktemp("monorepo") / "repo"
    core = copy_sample("incident1_monorepo_core", repo / "packages" / "core")
    (core / "src").mkdir()
    shutil.move(core / "monkey_coder", core / "src" / "monkey_coder")
    pyproject = core / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert 'where = ["."]' in text
    pyproject.write_text(text.replace('where = ["."]', 'where = ["src"]'), encoding="utf-8")
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    return repo


@pytest.fixture(scope="module")
def monorepo_report(monorepo: Path) -> Report:
    return mcheck.api.check_wheel(monorepo / "packages" / "core")


SRC = "packages/core/src"


def test_findings_name_their_file_from_the_repository_root(monorepo_report: Report) -> None:
    located = {(f.code, f.path): f.repo_path for f in monorepo_report.findings}
    assert (
        located[("MC101", "monkey_coder/email/sender.py")] == f"{SRC}/monkey_coder/email/sender.py"
    )
    assert located[("MC204", "monkey_coder/tokens.py")] == f"{SRC}/monkey_coder/tokens.py"
    # A module is located at its file.
    assert located[("MC301", "monkey_coder.app.main")] == f"{SRC}/monkey_coder/app/main.py"
    assert monorepo_report.project_file == "packages/core/pyproject.toml"


def test_every_sarif_location_is_a_file_of_the_repository(
    monorepo: Path, monorepo_report: Report
) -> None:
    results = to_sarif_data([monorepo_report])["runs"][0]["results"]
    assert results
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert [uri for uri in uris if not (monorepo / uri).is_file()] == []
    tokens = next(r for r in results if r["ruleId"] == "MC204")
    assert tokens["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": f"{SRC}/monkey_coder/tokens.py"},
        "region": {"startLine": 5},
    }


def test_every_github_annotation_names_a_file_of_the_repository(
    monorepo: Path, monorepo_report: Report
) -> None:
    annotated = re.findall(r"^::\w+ file=([^,:]+)", render("github", [monorepo_report]), flags=re.M)
    assert f"{SRC}/monkey_coder/email/sender.py" in annotated
    assert [path for path in annotated if not (monorepo / path).is_file()] == []


def test_text_output_keeps_speaking_in_wheel_paths(monorepo_report: Report) -> None:
    text = render("text", [monorepo_report])
    assert "  error   MC101  " in text and "monkey_coder/email/sender.py" in text
    assert SRC not in text


def test_outside_git_paths_are_relative_to_the_project(checked: Callable[[str], Report]) -> None:
    report = checked(
        "incident1_monorepo_core"
    )  # a flat layout, checked in a copy outside any repository
    located = {(f.code, f.path): f.repo_path for f in report.findings}
    assert located[("MC101", "monkey_coder/email/sender.py")] == "monkey_coder/email/sender.py"
    assert located[("MC301", "monkey_coder.app.main")] == "monkey_coder/app/main.py"
    assert report.project_file == "pyproject.toml"


def _wheel(*files: str) -> WheelContents:
    members = (*files, "demo-1.0.dist-info/METADATA", "demo-1.0.dist-info/RECORD")
    return WheelContents(
        path=Path("demo-1.0-py3-none-any.whl"),
        dist_info="demo-1.0.dist-info",
        members=members,
        metadata_text="Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
    )


def _project(tmp_path: Path, *files: str) -> Project:
    root = tmp_path / "repo" / "libs" / "demo"
    root.mkdir(parents=True)
    return Project(
        root=root,
        backend="hatchling.build",
        build_requires=(),
        name="demo",
        version="1.0",
        files=files,
        git_root=tmp_path / "repo",
    )


@pytest.mark.parametrize(
    ("path", "kind", "repo_path"),
    [
        ("demo/sub/mod.py", "file", "libs/demo/src/demo/sub/mod.py"),  # a file of a mapped package
        ("demo.sub.mod", "module", "libs/demo/src/demo/sub/mod.py"),  # a module: its file
        ("demo.sub", "module", "libs/demo/src/demo/sub/__init__.py"),  # a package: its __init__.py
        ("demo/", "file", "libs/demo/src/demo/"),  # a top-level package (MC105)
        (
            "helper.py",
            "file",
            "libs/demo/src/helper.py",
        ),  # a single-file module under src/, by its unique name
        ("demo/_build_info.py", "file", None),  # in the wheel, not in the source tree (MC104)
        ("yaml", "module", None),  # an import name the wheel does not ship
        ("demo.sub.mod:main", "entry_point", None),  # an entry point names no file of its own
        (None, "file", None),  # about the whole target
    ],
)
def test_repo_paths_map_wheel_paths_through_the_package_layout(
    tmp_path: Path, path: str | None, kind: SubjectKind, repo_path: str | None
) -> None:
    wheel = _wheel(
        "demo/__init__.py",
        "demo/sub/__init__.py",
        "demo/sub/mod.py",
        "demo/_build_info.py",
        "helper.py",
    )
    project = _project(
        tmp_path,
        "pyproject.toml",
        "src/demo/__init__.py",
        "src/demo/sub/__init__.py",
        "src/demo/sub/mod.py",
        "src/helper.py",
    )
    assert (
        RepoPaths(wheel, project).for_finding(Finding("MC101", path, "m", kind=kind)) == repo_path
    )


def test_an_ambiguous_file_name_is_not_guessed(tmp_path: Path) -> None:
    project = _project(tmp_path, "pyproject.toml", "src/helper.py", "scripts/helper.py")
    assert (
        RepoPaths(_wheel("helper.py"), project).for_finding(Finding("MC106", "helper.py", "m"))
        is None
    )


def test_project_file_prefers_pyproject_then_setup_py(tmp_path: Path) -> None:
    assert project_file(_project(tmp_path, "setup.py", "pkg/__init__.py")) == "libs/demo/setup.py"
    assert project_file(_project(tmp_path / "b", "pkg/__init__.py")) is None


# --- one JUnit test case per module -------------------------------------------------------------------------


def test_module_outcomes_of_a_failing_import(checked: Callable[[str], Report]) -> None:
    report = checked("import_raises")
    assert [(o.name, o.status) for o in report.module_outcomes] == [
        ("pkg", ModuleStatus.OK),
        ("pkg.boom", ModuleStatus.FAILED),
    ]
    assert all(o.seconds is not None and o.seconds >= 0 for o in report.module_outcomes)
    assert (report.modules.imported, report.modules.failed, report.modules.skipped) == (1, 1, 0)


def test_optional_modules_are_skipped_with_their_finding_as_the_reason(
    checked: Callable[[str], Report],
) -> None:
    report = checked("optional_extra")
    reasons = {f.path: f.message for f in report.findings if f.code == "MC304"}
    assert report.module_outcomes == [
        ModuleOutcome("pkg", ModuleStatus.OK, report.module_outcomes[0].seconds),
        ModuleOutcome(
            "pkg._windows",
            ModuleStatus.SKIPPED,
            report.module_outcomes[1].seconds,
            reasons["pkg._windows"],
        ),
        ModuleOutcome(
            "pkg.cli", ModuleStatus.SKIPPED, report.module_outcomes[2].seconds, reasons["pkg.cli"]
        ),
    ]


def test_junit_of_a_real_run_has_a_test_per_module(checked: Callable[[str], Report]) -> None:
    suites = ET.fromstring(render("junit", [checked("import_raises"), checked("optional_extra")]))
    modules = {
        (suite.get("name", "").rsplit("/", 1)[-1], case.get("name")): case
        for suite in suites
        for case in suite
        if case.get("classname") == "mcheck.import"
    }
    assert sorted(modules) == [
        ("import_raises", "pkg"),
        ("import_raises", "pkg.boom"),
        ("optional_extra", "pkg"),
        ("optional_extra", "pkg._windows"),
        ("optional_extra", "pkg.cli"),
    ]
    failure = modules[("import_raises", "pkg.boom")].find("failure")
    assert (
        failure is not None
        and failure.get("type") == "MC301"
        and "RuntimeError" in (failure.text or "")
    )
    assert modules[("optional_extra", "pkg.cli")].find("skipped") is not None
    assert len(modules[("import_raises", "pkg")]) == 0  # passed


def test_json_of_real_runs_validates_against_the_published_schema(
    checked: Callable[[str], Report], monorepo_report: Report
) -> None:
    schema = json.loads((REPO / "docs" / "json-schema.json").read_text(encoding="utf-8"))
    data = json.loads(
        render("json", [checked("import_raises"), checked("optional_extra"), monorepo_report])
    )
    jsonschema.Draft202012Validator(schema).validate(data)
    outcomes = data["reports"][0]["module_outcomes"]
    assert [(o["name"], o["status"], o["reason"]) for o in outcomes] == [
        ("pkg", "ok", None),
        ("pkg.boom", "failed", None),
    ]
    assert data["reports"][2]["project_file"] == "packages/core/pyproject.toml"


def test_an_ignored_import_failure_skips_its_module_instead_of_failing_it(
    sample_copy: Callable[[str], Path],
) -> None:
    report = mcheck.api.check_wheel(sample_copy("import_raises"), ignore=["MC301"])
    assert report.findings == []
    boom = report.module_outcomes[1]
    assert (boom.name, boom.status) == ("pkg.boom", ModuleStatus.SKIPPED)
    assert boom.reason == "import error, but no finding for it is reported (select/ignore)"


# --- action.yml ---------------------------------------------------------------------------------------------


def _run_steps() -> list[dict[str, Any]]:
    return ACTION["runs"]["steps"]


def _mcheck_step() -> dict[str, Any]:
    return next(step for step in _run_steps() if step.get("id") == "mcheck")


def test_action_is_a_composite_action_with_documented_inputs() -> None:
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(ACTION)
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {
        "path",
        "args",
        "fail-on",
        "python-version",
        "version",
        "sarif-file",
        "upload-sarif",
    }
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip(), name
        assert "default" in spec, f"{name}: every input is optional, so it needs a default"
    for step in _run_steps():
        assert ("run" in step) != ("uses" in step), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")
        else:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]


def test_action_uses_every_input_and_only_declared_ones() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\binputs\.([\w-]+)", text))
    assert used == set(ACTION["inputs"])
    step_ids = {step["id"] for step in _run_steps() if "id" in step}
    assert set(re.findall(r"\bsteps\.([\w-]+)\.", text)) <= step_ids


def test_action_never_splices_inputs_into_a_script() -> None:
    # ${{ inputs.x }} inside `run:` would let a crafted input inject shell code; env vars cannot.
    for step in _run_steps():
        assert "${{" not in step.get("run", ""), step.get("name")


def test_action_uploads_sarif_only_when_asked_and_written() -> None:
    upload = next(
        step for step in _run_steps() if step.get("uses", "").startswith("github/codeql-action/")
    )
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    assert "hashFiles(inputs.sarif-file)" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"


def test_action_installs_this_project_or_the_requested_version() -> None:
    install = next(step for step in _run_steps() if step.get("name") == "Install mcheck")
    assert '"mcheck==$MCHECK_VERSION"' in install["run"]
    assert (
        '"$ACTION_PATH"' in install["run"]
        and install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    )
    # The action's own checkout is this repository: installable, and the distribution is called mcheck.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "mcheck"


def _action_command(inputs: dict[str, str]) -> list[str]:
    """The ``python -m mcheck ...`` line of the action, expanded as bash would with ``inputs``."""
    step = _mcheck_step()
    values = {**{name: str(spec["default"]) for name, spec in ACTION["inputs"].items()}, **inputs}
    env = {
        var: re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: values[m.group(1)], expr)
        for var, expr in step["env"].items()
    }
    line = next(line for line in step["run"].splitlines() if line.startswith("python -m mcheck "))

    # bash keeps "$VAR" one word and splits an unquoted $VAR on whitespace (how PATH and ARGS are used).
    command = re.sub(r'"\$(\w+)"', lambda m: shlex.quote(env[m.group(1)]), line)
    command = re.sub(r"\$(\w+)", lambda m: env[m.group(1)], command)
    return shlex.split(command)


def test_the_action_command_line_is_valid_and_writes_sarif_annotations_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_reports: None
) -> None:
    sarif_file, summary = tmp_path / "out" / "mcheck.sarif", tmp_path / "summary.md"
    sarif_file.parent.mkdir()
    argv = _action_command(
        {
            "path": str(tmp_path / "import_raises"),
            "sarif-file": str(sarif_file),
            "args": "--timeout 60 --ignore MC304",
        }
    )
    assert argv[:3] == ["python", "-m", "mcheck"]
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(app, argv[3:])
    assert result.exit_code == 1, (
        result.output
    )  # import_raises has an error and fail-on defaults to error
    assert result.stdout.startswith("::error file=pkg/boom.py,title=MC301::pkg.boom: ")
    assert "/import_raises ==\nprobe:\n" in result.stdout  # the readable log after the annotations
    sarif = json.loads(sarif_file.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and [r["ruleId"] for r in sarif["runs"][0]["results"]] == [
        "MC301"
    ]
    assert summary.read_text(encoding="utf-8").startswith("## mcheck\n")


def test_python_dash_m_mcheck_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mcheck", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout == f"mcheck {mcheck.__version__}\n"


# --- .pre-commit-hooks.yaml ---------------------------------------------------------------------------------

# The keys pre-commit accepts in a hooks manifest, and the stage names of pre-commit >= 3.2.
HOOK_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "alias",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "additional_dependencies",
    "args",
    "always_run",
    "fail_fast",
    "pass_filenames",
    "description",
    "language_version",
    "log_file",
    "minimum_pre_commit_version",
    "require_serial",
    "stages",
    "verbose",
}
STAGES = {
    "commit-msg",
    "manual",
    "post-checkout",
    "post-commit",
    "post-merge",
    "post-rewrite",
    "pre-commit",
    "pre-merge-commit",
    "pre-push",
    "pre-rebase",
    "prepare-commit-msg",
}


def test_pre_commit_hook_manifest_is_valid() -> None:
    assert isinstance(HOOKS, list) and [hook["id"] for hook in HOOKS] == ["mcheck"]
    hook = HOOKS[0]
    assert set(hook) <= HOOK_KEYS
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert (
        hook["language"] == "python"
    )  # pre-commit pip-installs this repository into the hook's env
    assert hook["pass_filenames"] is False  # mcheck checks the project, not the changed files
    assert set(hook["stages"]) <= STAGES and "pre-push" in hook["stages"]


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("pyproject.toml", True),
        ("packages/core/setup.py", True),
        ("setup.cfg", True),
        ("MANIFEST.in", True),
        ("mcheck.toml", True),
        ("src/pkg/new_sub/mod.py", True),  # a new sub-package is a Python-only change
        ("README.md", False),
        ("docs/index.rst", False),
        ("pyproject.toml.bak", False),
        ("data/x.json", False),
    ],
)
def test_pre_commit_hook_runs_when_packaging_can_change(path: str, runs: bool) -> None:
    assert bool(re.search(HOOKS[0]["files"], path)) is runs


def run_in_project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Path:
    """Run the CLI with ``args`` from inside a project directory (answered by ``sample_reports`` with the
    import_raises report), as a hook or a pasted command does; returns that directory."""
    project = tmp_path / "import_raises"
    project.mkdir()
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "import_raises ==\nprobe:\n  error   MC301  " in result.stdout
    return project


def test_pre_commit_entry_is_the_console_script_and_a_valid_invocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_reports: None
) -> None:
    script, *args = shlex.split(HOOKS[0]["entry"])
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"][script] == "mcheck.__main__:main"
    # pre-commit runs the entry from the repository root without file names: the project is ".".
    run_in_project_dir(tmp_path, monkeypatch, args)


# --- the README's "Use in CI" snippets stay true ----------------------------------------------------------


def _readme_blocks(language: str) -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Use in CI\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_readme_workflow_uses_only_inputs_the_action_has() -> None:
    workflow, pre_commit = (yaml.safe_load(block) for block in _readme_blocks("yaml"))
    steps = workflow["jobs"]["mcheck"]["steps"]
    action_step = next(step for step in steps if step["uses"].endswith("/mcheck@REF"))
    assert set(action_step["with"]) <= set(ACTION["inputs"])
    assert workflow["jobs"]["mcheck"]["permissions"]["security-events"] == "write"
    hooks = [hook["id"] for repo in pre_commit["repos"] for hook in repo["hooks"]]
    assert hooks == [hook["id"] for hook in HOOKS]


def test_readme_python_snippets_compile_and_name_the_public_api() -> None:
    nox_session, api_example = _readme_blocks("python")
    compile(nox_session, "README nox session", "exec")
    compile(api_example, "README API example", "exec")
    for name in re.findall(r"\bmcheck\.(\w+)\(", api_example):
        assert callable(getattr(mcheck, name)), name


def test_readme_command_writes_text_junit_and_sarif_in_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_reports: None
) -> None:
    (command,) = _readme_blocks("sh")
    script, *args = shlex.split(command)
    assert script == "mcheck"
    project = run_in_project_dir(tmp_path, monkeypatch, args)
    assert ET.parse(project / "mcheck-junit.xml").getroot().tag == "testsuites"
    assert json.loads((project / "mcheck.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
