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
    assert _codes(check_deploy(service, repo_root=service, install=False)) == [("MC501", "docker-compose.yml", 6)]


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
    assert _codes(check_deploy(service, repo_root=service, install=False)) == [("MC501", "docker-compose.yml", 6)]
    compose.write_text(compose.read_text(encoding="utf-8").replace("ignore[MC502]", "ignore[MC501]"),
                       encoding="utf-8")
    assert _codes(check_deploy(service, repo_root=service, install=False)) == []


def test_fail_on_decides_the_exit_code(service):
    report = check_deploy(service, repo_root=service, install=False, fail_on="warning")
    assert report.exit_code == 1 and report.fail_on.value == "warning"
