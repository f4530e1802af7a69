"""`mcheck deploy` imports the start target with the Python the service will run: the Dockerfile's
base image tag, else `.python-version` or `runtime.txt`, when that Python is installed here."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_sample, python_installed
from mcheck.deploy.model import Runtime
from mcheck.deploy.service_python import choose_service_python, service_python_version
from mcheck.interpreters import Interpreter


@pytest.mark.unit
@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("python:3.12-slim", "3.12"),
        ("docker.io/library/python:3.10.14-bookworm", "3.10"),
        ("ghcr.io/astral-sh/uv:python3.13-bookworm-slim", "3.13"),
        ("node:20", None),
        ("", None),
    ],
)
def test_the_base_image_tag_names_the_python(tmp_path: Path, image: str, version: str | None):
    runtime = Runtime(kind="dockerfile", context="", base_image=image or None)
    found = service_python_version(runtime, tmp_path)
    assert (found[0] if found else None) == version


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "text", "version"),
    [(".python-version", "3.11.9\n", "3.11"), ("runtime.txt", "python-3.12.4\n", "3.12")],
)
def test_platform_files_name_the_python(tmp_path: Path, name: str, text: str, version: str):
    (tmp_path / name).write_text(text)
    runtime = Runtime(kind="root-directory", context="")
    assert service_python_version(runtime, tmp_path) == (version, name)


@pytest.mark.unit
def test_a_multi_stage_build_takes_the_base_of_the_stage_it_is_built_on() -> None:
    from mcheck.deploy.dockerfile import ContextFiles, Replayer
    from mcheck.deploy.dockerignore import DockerIgnore

    text = "FROM python:3.13-slim AS base\nFROM base AS app\nWORKDIR /app\n"
    ignore = DockerIgnore(".dockerignore", [])
    final = Replayer("Dockerfile", ContextFiles([], "", ignore), ignore.source).run(text).final
    assert final.base_image == "python:3.13-slim"


@pytest.mark.skipif(not python_installed("3.12"), reason="needs an installed Python 3.12 (pyenv)")
def test_the_start_target_is_imported_with_the_images_python(tmp_path: Path) -> None:
    """main.py uses typing.override (3.12+): clean with the image's 3.12, MC301 with 3.11."""
    from mcheck.api import check_deploy

    service = copy_sample("deploy_python_from_image", tmp_path / "service")
    messages: list[str] = []
    report = check_deploy(service, repo_root=service, progress=messages.append)
    assert [(f.code, f.path) for f in report.findings] == []
    assert "importing with Python 3.12 (the Dockerfile's base image python:3.12-slim)" in messages
    older = check_deploy(service, repo_root=service, python="3.11")
    assert [(f.code, f.path) for f in older.findings] == [("MC301", "main.py")]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "text", "version", "source"),
    [
        (
            "railpack.json",
            '{"packages": {"python": "3.12.4"}}',
            "3.12",
            "railpack.json packages.python",
        ),
        (
            "nixpacks.toml",
            '[variables]\nNIXPACKS_PYTHON_VERSION = "3.10"\n',
            "3.10",
            "nixpacks.toml variables.NIXPACKS_PYTHON_VERSION",
        ),
    ],
)
def test_platform_settings_name_the_python(tmp_path: Path, name, text, version, source):
    (tmp_path / name).write_text(text)
    runtime = Runtime(kind="root-directory", context="")
    assert service_python_version(runtime, tmp_path) == (version, source)


def _fake(*versions: str) -> list[Interpreter]:
    return [Interpreter(tuple(map(int, v.split("."))), f"/opt/{v}/bin/python3") for v in versions]


@pytest.mark.unit
def test_a_python_that_is_not_installed_is_replaced_by_the_nearest_and_mc004_says_so(tmp_path):
    (tmp_path / ".python-version").write_text("3.9\n")
    runtime = Runtime(kind="root-directory", context="")
    chosen = choose_service_python(runtime, tmp_path, lambda: _fake("3.8.1", "3.10.2", "3.12.0"))
    assert chosen.python == "/opt/3.10.2/bin/python3"
    assert chosen.finding is not None
    assert (chosen.finding.code, chosen.finding.path) == ("MC004", None)
    assert chosen.finding.message == (
        "the service runs Python 3.9 (.python-version), which is not installed here: its start "
        "target was imported with Python 3.10, the nearest installed"
    )


@pytest.mark.unit
def test_requires_python_alone_picks_the_newest_admitted_when_mcheck_s_own_is_excluded(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nrequires-python = ">=3.99"\n'
    )
    runtime = Runtime(kind="root-directory", context="")
    chosen = choose_service_python(runtime, tmp_path, lambda: _fake("3.98.0", "3.99.1", "3.100.0"))
    assert chosen.python == "/opt/3.100.0/bin/python3"
    assert chosen.finding is None
    admitted = choose_service_python(
        runtime, tmp_path.parent, lambda: _fake("3.99.1")
    )  # no pyproject there: mcheck's own
    assert admitted.python is None


@pytest.mark.unit
def test_deploy_takes_one_interpreter_and_supported_means_the_service_s_own():
    from mcheck.deploy.pipeline import _service_interpreter
    from mcheck.errors import UsageError

    assert _service_interpreter(()) is None
    assert _service_interpreter(("supported",)) is None  # [tool.mcheck] shared with mcheck wheel
    with pytest.raises(UsageError, match="python takes one interpreter"):
        _service_interpreter(("3.11", "3.12"))
