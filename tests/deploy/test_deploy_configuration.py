"""A start target that needs the host's configuration (a token in the environment) is not a packaging
error: MC304 says so and how to give the variables (--env-file), which then lets the import through."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcheck.deploy import check_deploy
from mcheck.errors import UsageError
from mcheck.findings import Severity

BOT = """\
import os

TOKEN = os.environ["BOT_TOKEN"]
if os.environ.get("ALLOWED_GUILDS") is None:
    raise ValueError("ALLOWED_GUILDS is not defined properly in the environment file!")
"""


def _service(root: Path, main: str = BOT) -> Path:
    root.mkdir(parents=True)
    (root / "Procfile").write_text("worker: python bot.py\n", encoding="utf-8")
    (root / "bot.py").write_text(main, encoding="utf-8")
    return root


def test_a_missing_host_variable_is_mc304_at_the_line_that_reads_it(tmp_path):
    report = check_deploy(_service(tmp_path / "svc"))
    [finding] = report.findings
    assert (finding.code, finding.path, finding.line) == ("MC304", "bot.py", 3)
    assert finding.severity is Severity.INFO and report.exit_code == 0
    assert finding.message.endswith("needs configuration the host provides: KeyError: 'BOT_TOKEN'")
    assert "--env-file" in (finding.hint or "")


def test_the_env_file_gives_the_start_target_the_hosts_variables(tmp_path):
    service = _service(tmp_path / "svc")
    (service / "host.env").write_text("# the host's variables\nBOT_TOKEN='x'\n", encoding="utf-8")
    [finding] = check_deploy(service, env_file=str(service / "host.env")).findings
    assert (finding.code, finding.line) == ("MC304", 5)  # the next variable the bot wants
    (service / "host.env").write_text("BOT_TOKEN=x\nexport ALLOWED_GUILDS=1\n", encoding="utf-8")
    assert check_deploy(service, env_file=str(service / "host.env")).findings == []


def test_a_real_bug_at_import_stays_an_error(tmp_path):
    service = _service(tmp_path / "svc", main="import json\n\nVALUE = json.loads('{broken')\n")
    [finding] = check_deploy(service).findings
    assert (finding.code, finding.severity) == ("MC301", Severity.ERROR)


@pytest.mark.parametrize(
    ("text", "message"), [(None, "no such file"), ("no equals", "not a KEY=VALUE line")]
)
def test_a_bad_env_file_is_bad_input(tmp_path, text, message):
    service = _service(tmp_path / "svc")
    if text is not None:
        (service / "host.env").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        check_deploy(service, env_file="host.env", install=False)


def test_an_env_file_in_the_configuration_is_relative_to_that_file_not_to_the_cwd(
    tmp_path, monkeypatch
):
    service = _service(tmp_path / "repo" / "services" / "bot")
    (service / "mcheck.toml").write_text('env-file = "deploy/host.env"\n', encoding="utf-8")
    (service / "deploy").mkdir()
    (service / "deploy" / "host.env").write_text("BOT_TOKEN=x\nALLOWED_GUILDS=1\n")
    # A file of the same name under the current directory must not be read instead.
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "deploy").mkdir(parents=True)
    (elsewhere / "deploy" / "host.env").write_text("BOT_TOKEN=x\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    assert check_deploy(service, repo_root=tmp_path / "repo").findings == []
    (service / "deploy" / "host.env").unlink()
    with pytest.raises(UsageError, match=r"env-file deploy/host.env \(in .*mcheck.toml\): no such"):
        check_deploy(service, repo_root=tmp_path / "repo", install=False)
