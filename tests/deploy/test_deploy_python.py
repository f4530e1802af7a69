"""`mcheck deploy` imports the start target with the Python the service will run: the Dockerfile's
base image tag, else `.python-version` or `runtime.txt`, when that Python is installed here."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_sample, python_installed
from mcheck.deploy.model import Runtime
from mcheck.deploy.pipeline import service_python_version


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
