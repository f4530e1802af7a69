"""The one host runner (mcheck.probes.runner): what every probe (import, app, deploy target) shares.

Each promise is checked for all three probes where it can differ: a fake interpreter (a shell script)
stands in for the venv's python, so the runner's side is tested without the scripts' own behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.probes.test_probe import DAEMON_MODULE, assert_dead, make_venv, needs_linux

from mcheck.deploy.commands import ServerCall
from mcheck.deploy.follow import Target
from mcheck.probes.apps import run_app_probe
from mcheck.probes.imports import run_import_probe
from mcheck.probes.protocol import AppTarget
from mcheck.probes.runner import ProbeError, probe_environment
from mcheck.probes.service import run_target_probe

# The runner starts `<python> -I <script> <request> <answer>`: $3 is the request, $4 the answer.
ANSWER_PROTOCOL_2 = '#!/bin/sh\nprintf \'{"protocol": 2}\' > "$4"\n'
CLEANS_UP_ON_SIGTERM = (
    "#!/bin/sh\n"
    'trap \'echo cleaned > "$(dirname "$3")/cleaned"; exit 143\' TERM\n'
    "sleep 60 &\nwait\n"
)
RECORDS_ITS_ENVIRONMENT = (
    '#!/bin/sh\nenv > "$(dirname "$3")/env.txt"\nprintf \'{"protocol": 1, "ok": true}\' > "$4"\n'
)


def _fake_python(tmp_path: Path, text: str) -> Path:
    python = tmp_path / "python"
    python.write_text(text)
    python.chmod(0o755)
    return python


def _target(module: str) -> Target:
    start = SimpleNamespace(argv=["python", "-m", module], source_file="Procfile", line=1, raw="")
    return Target(
        start=start,
        call=ServerCall(server="python", kind="module", target=module),
        cwd="/app",
        sys_path=["/app"],
        module=module,
        file=f"/app/{module}.py",
    )


def _run_import(python: Path, work: Path, timeout: float = 1.0) -> object:
    return run_import_probe(python, ["x"], timeout=timeout, jobs=1, workdir=work)


def _run_app(python: Path, work: Path, timeout: float = 1.0) -> object:
    return run_app_probe(python, {}, [AppTarget("x:app")], timeout=timeout, workdir=work)


def _run_target(python: Path, work: Path, timeout: float = 1.0) -> object:
    root = work.parent / "root"
    (root / "app").mkdir(parents=True, exist_ok=True)
    return run_target_probe(python, root, _target("x"), [], timeout=timeout, workdir=work)


PROBES = {"import": _run_import, "app": _run_app, "target": _run_target}


@pytest.mark.parametrize("name", PROBES)
def test_every_probe_rejects_an_answer_of_another_protocol_version(
    tmp_path: Path, name: str
) -> None:
    python = _fake_python(tmp_path, ANSWER_PROTOCOL_2)
    with pytest.raises(ProbeError, match=rf"the {name} probe answered with protocol 2, expected 1"):
        PROBES[name](python, tmp_path / "work")


def test_the_guard_asks_with_sigterm_first_so_the_probes_own_cleanup_runs(tmp_path: Path) -> None:
    python = _fake_python(tmp_path, CLEANS_UP_ON_SIGTERM)
    with pytest.raises(ProbeError, match="the target probe did not finish within 1 s") as raised:
        _run_target(python, tmp_path / "work", timeout=1.0)
    assert raised.value.timed_out
    assert (tmp_path / "work" / "cleaned").read_text() == "cleaned\n"


def test_the_environment_is_an_allow_list_plus_the_images_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCHECK_TEST_SECRET", "from the caller's shell")
    monkeypatch.setenv("PYTHONPATH", "/the/checkout")
    python = _fake_python(tmp_path, RECORDS_ITS_ENVIRONMENT)
    work = tmp_path / "work"
    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    run_target_probe(
        python,
        root,
        _target("x"),
        [],
        timeout=5.0,
        workdir=work,
        env={"APP_MODE": "production", "PYTHONPATH": "/app/src"},
    )
    env = dict(
        line.split("=", 1) for line in (work / "env.txt").read_text().splitlines() if "=" in line
    )
    assert env["APP_MODE"] == "production"  # the image's ENV reaches the start target
    assert env["PORT"] == "8000"
    assert "MCHECK_TEST_SECRET" not in env and "PYTHONPATH" not in env
    assert Path(env["HOME"]).parent == work and Path(env["TMPDIR"]).parent == work


def test_probe_environment_keeps_only_allow_listed_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/.venv")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    env = probe_environment(tmp_path, {"PORT": "9000"})
    assert "VIRTUAL_ENV" not in env
    assert env["LC_ALL"] == "C.UTF-8" and env["PORT"] == "9000"
    assert env["PATH"] == os.environ["PATH"]


@needs_linux
def test_the_target_probe_kills_a_daemon_its_start_target_started(tmp_path: Path) -> None:
    python, _site = make_venv(tmp_path)
    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    (root / "app" / "daemonizes.py").write_text(DAEMON_MODULE, encoding="utf-8")
    result = run_target_probe(
        python, root, _target("daemonizes"), [], timeout=30.0, workdir=tmp_path / "work"
    )
    assert (result.ok, result.error) == (True, None)
    assert_dead(int((root / "app" / "daemon.pid").read_text()))


def test_the_target_probe_describes_an_import_error_in_the_protocols_shape(tmp_path: Path) -> None:
    python, _site = make_venv(tmp_path)
    root = tmp_path / "root"
    (root / "app").mkdir(parents=True)
    (root / "app" / "broken.py").write_text("import os\nimport not_installed_anywhere\n", "utf-8")
    result = run_target_probe(
        python,
        root,
        _target("broken"),
        ["not_installed_anywhere"],
        timeout=30.0,
        workdir=tmp_path / "work",
    )
    assert result.missing == ("not_installed_anywhere",)
    assert result.error is not None and result.error.type == "ModuleNotFoundError"
    assert result.error.missing_name == "not_installed_anywhere"
    frame = result.error.raising_frame
    assert frame is not None and (Path(frame.file).name, frame.line) == ("broken.py", 2)
