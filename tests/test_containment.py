"""Containment and bad input, tried as an attacker and an unlucky user would.

Each test is one promise of the README's containment section: bad input is exit 2 with one line and
no traceback; nothing outside mcheck's work directory is written; git reads of the user's repository
run none of the repository's configured programs and do not rewrite its index; a killed run's
directories are removed by the next one; archives are never extracted outside the venv.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

from conftest import copy_sample
from mcheck.errors import UsageError

CLEAN = "clean_flit"


def mcheck(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mcheck", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def assert_one_line_error(done: subprocess.CompletedProcess, code: int, text: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done.stderr
    assert len(lines) == 1 and lines[0].startswith("mcheck: error: "), done.stderr
    assert text in lines[0], lines[0]
    assert "Traceback" not in done.stderr


# --- hand-built wheels --------------------------------------------------------------------------


def record_line(name: str, data: bytes) -> str:
    digest = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def handmade_wheel(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    """A small pure wheel ``demo-1.0`` with a correct RECORD, plus ``extra`` entries (also in RECORD)."""
    files = {
        "demo/__init__.py": b"VALUE = 1\n",
        "demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        "demo-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        **(extra or {}),
    }
    record = "".join(f"{record_line(n, d)}\n" for n, d in files.items())
    record += "demo-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name), data)
        zf.writestr("demo-1.0.dist-info/RECORD", record)
    return path


@pytest.mark.unit
def test_a_wheel_with_damaged_data_is_bad_input(tmp_path: Path) -> None:
    from mcheck.wheel.artifacts import WheelContents

    wheel = handmade_wheel(tmp_path / "demo-1.0-py3-none-any.whl")
    data = bytearray(wheel.read_bytes())
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("demo/__init__.py")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + 1] ^= 0xFF  # inside the deflated data of demo/__init__.py
    wheel.write_bytes(bytes(data))
    with pytest.raises(UsageError, match=r"not a valid wheel \(.*(damaged|bad CRC)"):
        WheelContents.read(wheel)


@pytest.mark.unit
def test_metadata_that_inflates_to_300_mb_is_refused_without_reading_it(tmp_path: Path) -> None:
    from mcheck.wheel.artifacts import WheelContents

    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with (
        zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("demo-1.0.dist-info/METADATA", "w") as out,
    ):
        block = b"\0" * (1 << 20)
        for _ in range(300):
            out.write(block)
    assert wheel.stat().st_size < 1_000_000  # a few hundred kilobytes on disk
    started = time.monotonic()
    with pytest.raises(UsageError, match=r"METADATA is 315 MB uncompressed"):
        WheelContents.read(wheel)
    assert time.monotonic() - started < 30


@pytest.mark.unit
def test_entries_outside_site_packages_are_named_with_their_reason(tmp_path: Path) -> None:
    from mcheck.wheel.artifacts import WheelContents

    link = zipfile.ZipInfo("demo/link")
    link.external_attr = 0o120777 << 16
    wheel = handmade_wheel(tmp_path / "demo-1.0-py3-none-any.whl")
    with zipfile.ZipFile(wheel, "a") as zf:
        zf.writestr("../../escape.txt", b"x")
        zf.writestr(zipfile.ZipInfo("/etc/absolute.txt"), b"x")
        zf.writestr(link, b"/etc/passwd")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("demo/__init__.py", b"VALUE = 2\n")
    unsafe = {(m.name, m.reason.split(" (")[0]) for m in WheelContents.read(wheel).unsafe_members}
    assert unsafe == {
        ("../../escape.txt", "climbs out of the install directory with '..'"),
        ("/etc/absolute.txt", "is an absolute path"),
        ("demo/link", "is a symbolic link"),
        ("demo/__init__.py", "appears more than once"),
    }


def test_a_zip_slip_wheel_with_a_correct_record_is_mc604_and_is_never_installed(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    sentinel = outside / "sentinel.txt"
    sentinel.write_text("untouched\n")
    escape = os.path.relpath(sentinel, "/")  # absolute, through the root: /tmp/.../sentinel.txt
    wheel = handmade_wheel(
        tmp_path / "demo-1.0-py3-none-any.whl",
        {"../../../../../../../../../" + escape: b"overwritten\n", "/" + escape: b"overwritten\n"},
    )
    done = mcheck("wheel", str(wheel), "-f", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    errors = {(f["code"], f["path"]) for f in report["findings"] if f["severity"] == "error"}
    assert errors == {
        ("MC604", "../../../../../../../../../" + escape),
        ("MC604", "/" + escape),
    }
    assert report["modules"]["imported"] == 0  # not installed, so not imported
    assert sentinel.read_text() == "untouched\n"


# --- bad input: exit 2, one line ------------------------------------------------------------------


def test_an_output_file_that_cannot_be_written_fails_before_the_run(tmp_path: Path) -> None:
    project = copy_sample(CLEAN, tmp_path / "project")
    started = time.monotonic()
    done = mcheck(
        "wheel", str(project), "-o", str(tmp_path / "no" / "such" / "dir.json"), cwd=tmp_path
    )
    assert_one_line_error(done, 2, f"--output {tmp_path}/no/such/dir.json: directory")
    assert time.monotonic() - started < 20  # nothing was built
    done = mcheck("wheel", str(project), "-o", str(tmp_path), cwd=tmp_path)
    assert_one_line_error(done, 2, "is a directory")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("select = 5", "select must be a string or a list of strings, not 5"),
        ('ignore = ["MC101", 3]', "ignore must be a string or a list of strings"),
        ("python = 3.11", "python must be a string or a list of strings, not 3.11"),
        ("timeout = inf", "timeout must be a positive, finite number of seconds, not inf"),
        ("timeout = nan", "timeout must be a positive, finite number of seconds, not nan"),
        ("timeout = -1", "timeout must be a positive, finite number of seconds, not -1"),
        ("timeout = true", "timeout must be a positive, finite number of seconds, not True"),
        ('build-timeout = "30"', "build-timeout must be a positive, finite number of seconds"),
        ('python = "/bin/false"', "python '/bin/false' (/bin/false) is not a working Python"),
    ],
)
def test_a_bad_setting_is_exit_2_with_one_line_naming_the_file(
    tmp_path: Path, table: str, message: str
) -> None:
    project = copy_sample(CLEAN, tmp_path / "project")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f"\n[tool.mcheck]\n{table}\n")
    done = mcheck("wheel", str(project), cwd=tmp_path)
    assert_one_line_error(done, 2, message)
    if "/bin/false" not in table:
        assert f"{pyproject} [tool.mcheck]: " in done.stderr


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_a_timeout_on_the_command_line_must_be_finite_and_positive(
    tmp_path: Path, value: str
) -> None:
    done = mcheck("deploy", str(tmp_path), "--timeout", value, cwd=tmp_path)
    assert_one_line_error(done, 2, "command line: timeout must be a positive, finite number")


def test_a_python_that_is_not_found_is_bad_input_not_mc002(tmp_path: Path) -> None:
    project = copy_sample(CLEAN, tmp_path / "project")
    done = mcheck("wheel", str(project), "--python", "3.99", cwd=tmp_path)
    assert_one_line_error(done, 2, "python '3.99': not a file, not a command on PATH")


def test_a_deeply_nested_pyproject_is_bad_input(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n[tool]\nz = ' + "[" * 5000 + "]" * 5000 + "\n"
    )
    done = mcheck("wheel", str(project), cwd=tmp_path)
    assert_one_line_error(done, 2, "pyproject.toml: malformed TOML: nested too deeply")


# --- deploy files that would hang or exhaust the run ----------------------------------------------


def deploy_findings(service: Path) -> set[tuple[str, str | None, int | None]]:
    from mcheck.api import check_deploy

    report = check_deploy(service, repo_root=service, install=False)
    return {(f.code, f.path, f.line) for f in report.findings if f.code == "MC503"}


@pytest.mark.unit
def test_a_yaml_alias_bomb_is_mc503_in_bounded_time(tmp_path: Path) -> None:
    """387 million values once expanded, from 400 bytes: refused from the node graph alone."""
    service = copy_sample("hostile/deploy_yaml_alias_bomb", tmp_path / "service")
    started = time.monotonic()
    # line 7: x-a5, the first anchor whose expansion passes the bound
    assert deploy_findings(service) == {("MC503", "compose.yaml", 7)}
    assert time.monotonic() - started < 10


def test_a_config_with_wrong_types_is_exit_2_before_anything_is_built(tmp_path: Path) -> None:
    project = copy_sample("hostile/config_wrong_types", tmp_path / "project")
    done = mcheck("wheel", str(project), cwd=tmp_path)
    assert_one_line_error(
        done, 2, f"{project}/pyproject.toml [tool.mcheck]: select must be a string or a list"
    )


@pytest.mark.unit
def test_an_alias_that_contains_itself_is_mc503(tmp_path: Path) -> None:
    service = tmp_path / "service"
    service.mkdir()
    (service / "render.yaml").write_text("services: &s\n  - type: web\n    loop: *s\n")
    assert {code for code, _, _ in deploy_findings(service)} == {"MC503"}


@pytest.mark.unit
def test_a_compose_command_that_is_not_a_list_of_strings_is_mc503(tmp_path: Path) -> None:
    service = tmp_path / "service"
    service.mkdir()
    (service / "compose.yaml").write_text(
        "services:\n  web:\n    build: .\n    command: [[a], b]\n"
    )
    assert deploy_findings(service) == {("MC503", "compose.yaml", 4)}


@pytest.mark.unit
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("dockerfile", ["/dev/zero", "Dockerfile.fifo"])
def test_a_dockerfile_path_that_is_not_a_regular_file_is_mc503_at_once(
    tmp_path: Path, dockerfile: str
) -> None:
    service = tmp_path / "service"
    service.mkdir()
    os.mkfifo(service / "Dockerfile.fifo")
    (service / "railway.toml").write_text(
        f'[build]\nbuilder = "dockerfile"\ndockerfilePath = "{dockerfile}"\n'
    )
    started = time.monotonic()
    findings = deploy_findings(service)
    assert time.monotonic() - started < 10
    assert [(code, path) for code, path, _ in findings] == [("MC503", dockerfile)]


@pytest.mark.unit
def test_read_small_text_refuses_fifos_devices_and_huge_files(tmp_path: Path) -> None:
    from mcheck.smallfiles import UnreadableFile, read_small_text

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    (tmp_path / "small").write_text("ok\n")
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_small_text(tmp_path / "fifo")
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_small_text(Path("/dev/zero"))
    with pytest.raises(UnreadableFile, match="2048 bytes, more than the 1024 read here"):
        read_small_text(tmp_path / "big", limit=1024)
    assert read_small_text(tmp_path / "small") == "ok\n"


# --- git reads run nothing of the repository's and write nothing --------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.mark.unit
def test_git_reads_run_no_fsmonitor_or_filter_and_leave_the_index_alone(tmp_path: Path) -> None:
    from mcheck.cache.builds import vcs_state
    from mcheck.wheel.discover import discover_project

    project = copy_sample(CLEAN, tmp_path / "repo")
    git(project, "init", "-q")
    (project / ".gitattributes").write_text("* filter=evil\n")
    git(project, "add", ".")
    git(project, "commit", "-qm", "init")
    ran = tmp_path / "ran"
    git(project, "config", "filter.evil.clean", f"touch {ran}/clean; cat")
    git(project, "config", "filter.evil.smudge", f"touch {ran}/smudge; cat")
    git(project, "config", "core.fsmonitor", f"touch {ran}/fsmonitor; echo")
    ran.mkdir()
    time.sleep(1.1)
    (project / "README.md").touch()  # stat-dirty: a refresh would run the clean filter
    index = project / ".git" / "index"
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    found = discover_project(project)
    vcs_state(found)
    assert sorted(p.name for p in ran.iterdir()) == []
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_staging_never_writes_through_a_symlink_committed_in_head(tmp_path: Path) -> None:
    """HEAD has ``notes.txt -> outside``; the working tree has a plain ``notes.txt``. Staging lays the
    working tree over a checkout of HEAD: it must replace the link, not write through it."""
    from mcheck.wheel.build import stage_source
    from mcheck.wheel.discover import discover_project

    outside = tmp_path / "outside.txt"
    outside.write_text("untouched\n")
    repo = tmp_path / "repo"
    project = copy_sample("clean_hatchling", repo / "pkg")  # in a subdirectory: staged from git
    git(repo, "init", "-q")
    (project / "notes.txt").symlink_to(outside)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    (project / "notes.txt").unlink()
    (project / "notes.txt").write_text("working tree\n")
    found = discover_project(project)
    assert found.stages_from_git
    staged = stage_source(found, tmp_path / "stage")
    assert outside.read_text() == "untouched\n"
    assert (staged / "notes.txt").read_text() == "working tree\n"
    assert not (staged / "notes.txt").is_symlink()


# --- what a killed run leaves is removed by the next --------------------------------------------


@pytest.mark.unit
def test_the_next_run_removes_the_work_directories_of_dead_runs_only(tmp_path: Path) -> None:
    from mcheck.workdirs import OWNER_FILE, make_workdir

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / "mcheck-abandoned"
    abandoned.mkdir()
    (abandoned / OWNER_FILE).write_text(f"{dead.pid}")
    alive = tmp_path / "mcheck-alive"
    alive.mkdir()
    (alive / OWNER_FILE).write_text(f"{os.getpid()}")
    unmarked = tmp_path / "mcheck-unmarked"  # another run may have only just created it
    unmarked.mkdir()
    mine = make_workdir(parent=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["mcheck-alive", "mcheck-unmarked", mine.name]
    )
    assert (mine / OWNER_FILE).is_file()


def test_a_run_killed_with_sigkill_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    project = copy_sample(CLEAN, tmp_path / "project")
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    killed = subprocess.Popen(
        [sys.executable, "-m", "mcheck", "wheel", str(project), "--no-cache"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith("mcheck-") for p in private_tmp.iterdir()):
        assert time.monotonic() < deadline, "the run never created its work directory"
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(killed.pid, 9)
    killed.wait()
    assert any(p.name.startswith("mcheck-") for p in private_tmp.iterdir())
    done = mcheck("wheel", str(project), "-q", cwd=tmp_path, env={"TMPDIR": str(private_tmp)})
    assert done.returncode == 0, done.stderr
    assert [p.name for p in private_tmp.iterdir() if p.name.startswith("mcheck-")] == []


# --- reporters ------------------------------------------------------------------------------------


@pytest.mark.unit
def test_a_report_written_to_a_file_keeps_a_non_utf8_file_name_escaped(tmp_path: Path) -> None:
    from mcheck.cli import _write_report

    out = tmp_path / "report.txt"
    _write_report(out, "pkg/\udcff.pyc\n")
    assert out.read_bytes() == b"pkg/\\udcff.pyc\n"
    io.StringIO(out.read_text(encoding="utf-8"))  # valid UTF-8


@pytest.mark.unit
def test_a_signal_during_the_final_cleanup_lets_the_cleanup_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from mcheck import workdirs
    from mcheck.errors import Interrupted

    workdir = workdirs.make_workdir(parent=tmp_path)
    (workdir / "big").mkdir()
    real_rmtree = shutil.rmtree
    calls = []

    def interrupted_once(path, ignore_errors=False):
        calls.append(path)
        if len(calls) == 1:
            raise Interrupted(2)  # Ctrl-C arrives while the first removal is under way
        real_rmtree(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(workdirs.shutil, "rmtree", interrupted_once)
    with pytest.raises(Interrupted):
        workdirs.remove_workdir(workdir)
    assert not workdir.exists()


MALFORMED_DEPLOY_FILES = {
    "render.yaml": "services:\n  - type: web\n    startCommand: [unclosed\n",
    "railway.json": '{"deploy": [',
    "railway.toml": "[deploy\nstartCommand = 5\n",
    "fly.toml": 'app = "x"\n[http_service\n',
}


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(MALFORMED_DEPLOY_FILES))
def test_a_malformed_deploy_file_is_mc503_naming_it(tmp_path: Path, name: str) -> None:
    service = copy_sample("deploy_subdir_imports", tmp_path / "service")
    (service / name).write_text(MALFORMED_DEPLOY_FILES[name])
    assert {(code, path) for code, path, _ in deploy_findings(service)} == {("MC503", name)}


@pytest.mark.unit
def test_a_dockerignore_that_is_not_text_and_a_copy_onto_a_file_are_findings_not_crashes(
    tmp_path: Path,
) -> None:
    from mcheck.api import check_deploy

    service = copy_sample("deploy_subdir_imports", tmp_path / "service")
    (service / ".dockerignore").write_bytes(b"\xff\xfe**\n!\x00\n[\n")
    (service / "Dockerfile").write_text(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY backend/main.py /app/x\nCOPY backend /app/x\n"
        'CMD ["uvicorn", "x:app"]\n'
    )
    report = check_deploy(service, repo_root=service, install=False)
    assert report.exit_code == 1
    assert {f.code for f in report.findings} <= {"MC501", "MC502", "MC503"}


@pytest.mark.parametrize("name", sorted(MALFORMED_DEPLOY_FILES))
def test_mcheck_wheel_ignores_a_malformed_deploy_file(tmp_path: Path, name: str) -> None:
    """A wheel check must not fail because a deploy file next to it is malformed."""
    from mcheck.api import check_wheel

    project = copy_sample(CLEAN, tmp_path / "project")
    (project / name).write_text(MALFORMED_DEPLOY_FILES[name])
    report = check_wheel(project)
    assert report.exit_code == 0
    assert report.findings == []


@pytest.mark.unit
def test_a_version_request_finds_pyenvs_newest_matching_install_that_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv's shims run only the active versions; its versions/ directory holds them all."""
    from mcheck.interpreters import resolve_interpreter

    def fake(version: str, works: bool) -> Path:
        python = tmp_path / "versions" / version / "bin" / f"python{version.rsplit('.', 1)[0]}"
        python.parent.mkdir(parents=True)
        python.write_text(
            f'#!/bin/sh\nexec {sys.executable} "$@"\n' if works else "#!/bin/sh\nexit 1\n"
        )
        python.chmod(0o755)
        return python

    fake("3.12.1", works=True)
    newest = fake("3.12.4", works=True)
    fake("3.12.9", works=False)  # a broken install is skipped
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")  # no python3.12 command, no uv: pyenv alone
    assert resolve_interpreter("3.12") == str(newest)
