"""`mcheck deploy` honours the same settings as `mcheck wheel`: --select/--ignore, [tool.mcheck] or
mcheck.toml, and `# mcheck: ignore[CODE]` on the line a finding points at (static runs: no install)."""

from __future__ import annotations

import pytest

from conftest import copy_sample
from mcheck.deploy import check_deploy
from mcheck.errors import UsageError

SAMPLE = "deploy_compose_command"  # one MC501 at docker-compose.yml:6


def _codes(report) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.path, f.line) for f in report.findings]


@pytest.fixture
def service(tmp_path):
    return copy_sample(SAMPLE, tmp_path / SAMPLE)


def test_the_sample_reports_its_finding(service):
    assert _codes(check_deploy(service, repo_root=service, install=False)) == [
        ("MC501", "docker-compose.yml", 6)
    ]


def test_ignore_and_select_filter_as_for_wheel(service):
    assert _codes(check_deploy(service, repo_root=service, install=False, ignore=["MC501"])) == []
    assert _codes(check_deploy(service, repo_root=service, install=False, select=["MC502"])) == []


def test_an_unknown_code_is_bad_input(service):
    with pytest.raises(UsageError, match="unknown code 'MC999'"):
        check_deploy(service, repo_root=service, install=False, ignore=["MC999"])


def test_mcheck_toml_of_the_service_is_read(service):
    (service / "mcheck.toml").write_text('ignore = ["MC5"]\n', encoding="utf-8")
    assert _codes(check_deploy(service, repo_root=service, install=False)) == []


def test_an_inline_comment_on_the_deploy_files_line_silences_that_code_only(service):
    compose = service / "docker-compose.yml"
    lines = compose.read_text(encoding="utf-8").splitlines()
    lines[5] += "  # mcheck: ignore[MC502]"
    compose.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _codes(check_deploy(service, repo_root=service, install=False)) == [
        ("MC501", "docker-compose.yml", 6)
    ]
    compose.write_text(
        compose.read_text(encoding="utf-8").replace("ignore[MC502]", "ignore[MC501]"),
        encoding="utf-8",
    )
    assert _codes(check_deploy(service, repo_root=service, install=False)) == []


def test_fail_on_decides_the_exit_code(service):
    report = check_deploy(service, repo_root=service, install=False, fail_on="warning")
    assert report.exit_code == 1 and report.fail_on.value == "warning"


def test_what_the_start_target_spawns_does_not_outlive_the_check(tmp_path):
    # The import starts a daemon in a session of its own (setsid): the target probe is a subreaper and
    # kills its descendants, and the host kills the probe's process group.
    import os
    import time

    service = tmp_path / "svc"
    service.mkdir()
    pid_file = tmp_path / "daemon.pid"
    (service / "worker.py").write_text(
        "import subprocess, sys\n"
        "proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(proc.pid))\n",
        encoding="utf-8",
    )
    (service / "Procfile").write_text("worker: python -m worker\n", encoding="utf-8")
    (service / "requirements.txt").write_text("", encoding="utf-8")
    report = check_deploy(service, repo_root=service, timeout=20)
    assert [f.code for f in report.findings if f.severity.value == "error"] == []
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    raise AssertionError(f"the daemon {pid} started by the start target outlived mcheck deploy")
