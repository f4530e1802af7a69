"""Builds that install from a project file (poetry, pipenv, uv, pdm) install its main dependencies."""

from __future__ import annotations

import json
from pathlib import Path

from mcheck.deploy.configs import read_deploy_config
from mcheck.deploy.runtime import reconstruct
from mcheck.wheel.discover import list_source_files

POETRY_PYPROJECT = """\
[tool.poetry]
name = "svc"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.110"
redis = { version = "^5", extras = ["hiredis"] }
core = { path = "../core", develop = true }

[tool.poetry.group.dev.dependencies]
pytest = "*"
"""
POETRY_LOCK = '[[package]]\nname = "FastAPI"\nversion = "0.110.3"\n\n[[package]]\nname = "pytest"\nversion = "8.0.0"\n'


def _runtime(root: Path, files: dict[str, str]):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    runtime, findings = reconstruct(
        read_deploy_config(root, root), root, list_source_files(root, None)
    )
    return runtime, findings


def test_poetry_install_in_an_image_installs_the_main_group_pinned_by_the_lock(tmp_path):
    runtime, findings = _runtime(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY pyproject.toml poetry.lock ./\n"
            "RUN pip install poetry && poetry config virtualenvs.create false && "
            'poetry install --only main --no-root\nCOPY . .\nCMD ["uvicorn", "main:app"]\n',
            "pyproject.toml": POETRY_PYPROJECT,
            "poetry.lock": POETRY_LOCK,
        },
    )
    # the path dependency is the repository's own code, never an index name; dev groups stay out
    assert runtime.packages == ["fastapi==0.110.3", "redis", "poetry"]
    # every version the lock pins constrains what they resolve to (transitive ones included)
    assert runtime.constraints == ["fastapi==0.110.3", "pytest==8.0.0"]
    assert findings == []


def test_an_exported_requirements_file_holds_the_project_dependencies(tmp_path):
    """ranking-challenge (tests/realbugs): `poetry export > requirements.txt`, then `pip install -r`
    of that file: not a file missing from the build context."""
    runtime, findings = _runtime(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY pyproject.toml .\n"
            "RUN poetry export -f requirements.txt --without-hashes > requirements.txt\n"
            'RUN pip install -r requirements.txt\nCOPY . .\nCMD ["uvicorn", "main:app"]\n',
            "pyproject.toml": POETRY_PYPROJECT,
        },
    )
    assert runtime.packages == ["fastapi", "redis"]
    assert runtime.requirements == [] and findings == []


def test_pipenv_install_system_installs_the_locked_default_section(tmp_path):
    lock = {
        "default": {
            "flask": {"version": "==1.0.2"},
            "sqlalchemy-utils": {"version": "==0.33.3", "markers": "python_version >= '3.6'"},
            "core": {"path": "../core"},
        },
        "develop": {"pytest": {"version": "==3.8.0"}},
    }
    runtime, _ = _runtime(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.7\nCOPY . /app\nWORKDIR /app\n"
            "RUN pip install pipenv\nRUN pipenv install --system --deploy\n",
            "Pipfile": '[packages]\nflask = "*"\n',
            "Pipfile.lock": json.dumps(lock),
        },
    )
    assert runtime.packages == [
        "pipenv",
        "flask==1.0.2",
        "sqlalchemy-utils==0.33.3; python_version >= '3.6'",
    ]


def test_a_root_directory_build_installs_a_pipfile_by_itself(tmp_path):
    runtime, _ = _runtime(
        tmp_path,
        {
            "Procfile": "web: gunicorn api:app\n",
            "Pipfile": '[packages]\nflask = "*"\ngunicorn = "==21.2.0"\n\n[dev-packages]\npytest = "*"\n',
        },
    )
    assert runtime.packages == ["flask", "gunicorn==21.2.0"]


def test_pipenv_install_of_a_named_package_is_not_the_pipfile(tmp_path):
    runtime, _ = _runtime(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY . /app\nRUN pipenv install requests\n",
            "Pipfile": '[packages]\nflask = "*"\n',
        },
    )
    assert runtime.packages == []
