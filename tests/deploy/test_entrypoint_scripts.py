"""A start command that runs a shell script is the server command the script runs."""

from __future__ import annotations

from mcheck.deploy.commands import make_start_command
from mcheck.deploy.entrypoint_scripts import through_scripts
from mcheck.deploy.model import Runtime

SCRIPTS = {
    "docker/entrypoint.sh": "#!/bin/sh\nset -e\npython manage.py migrate\ncd /srv/backend\n"
    "exec gunicorn -k uvicorn.workers.UvicornWorker \\\n    app.main:app --bind 0.0.0.0:8000\n"
    "echo never reached\n",
    "scripts/start.sh": "#!/bin/bash\n# no exec: the last server line is the one that stays up\n"
    "uvicorn worker:app --port 9000 &\nuvicorn main:app --port 8000\n",
    "docker/pass.sh": '#!/bin/sh\necho "starting"\nexec "$@"\n',
    "docker/outer.sh": "#!/bin/sh\nexec /srv/docker/inner.sh\n",
    "docker/inner.sh": "#!/bin/sh\nexec python -m service\n",
    "docker/nothing.sh": "#!/bin/sh\necho hello\n",
}
RUNTIME = Runtime(
    kind="dockerfile",
    context="",
    files={f"/srv/{path}": path for path in SCRIPTS} | {"/entrypoint.sh": "docker/entrypoint.sh"},
    workdir="/srv",
)


def _through(command: list[str] | str, source: str = "Dockerfile") -> tuple:
    start = through_scripts(make_start_command(source, 9, command, None), RUNTIME, SCRIPTS.get)
    return start.source_file, start.line, start.argv, start.cwd


def test_the_line_that_execs_a_server_is_the_start_command_with_the_scripts_cd() -> None:
    assert _through(["/entrypoint.sh"]) == (
        "docker/entrypoint.sh",
        5,
        (
            "gunicorn",
            "-k",
            "uvicorn.workers.UvicornWorker",
            "app.main:app",
            "--bind",
            "0.0.0.0:8000",
        ),
        "/srv/backend",
    )


def test_without_exec_the_last_server_line_is_the_start_command() -> None:
    assert _through("sh scripts/start.sh", "Procfile")[:3] == (
        "scripts/start.sh",
        4,
        ("uvicorn", "main:app", "--port", "8000"),
    )


def test_exec_dollar_at_runs_the_arguments_the_script_is_given() -> None:
    assert _through(["docker/pass.sh", "uvicorn", "api.main:app"]) == (
        "Dockerfile",
        9,
        ("uvicorn", "api.main:app"),
        None,
    )


def test_a_script_that_runs_a_script_is_followed() -> None:
    assert _through(["./docker/outer.sh"])[:3] == (
        "docker/inner.sh",
        2,
        ("python", "-m", "service"),
    )


def test_a_script_that_runs_no_server_or_is_not_in_the_image_stays_as_written() -> None:
    assert _through(["docker/nothing.sh"])[2] == ("docker/nothing.sh",)
    assert _through(["/missing.sh"])[2] == ("/missing.sh",)
