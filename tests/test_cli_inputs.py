"""Broken input on the command line: exit 2 with one clear line on stderr, never a traceback.

Each case runs ``python -m mcheck wheel TARGET`` as a subprocess from an empty directory (so no
project in the current directory is picked up as the source of a given wheel).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import copy_sample, tree_digest

METADATA = "Metadata-Version: 2.1\nName: norecord\nVersion: 1.0\n"
WHEEL = "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def run_mcheck(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcheck", "wheel", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def write_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


# Each maker builds the broken target inside the (empty) working directory and returns its argument.
def _missing_directory(cwd: Path) -> str:
    return "no-such-project"


def _missing_wheel(cwd: Path) -> str:
    return "dist/no_such-1.0-py3-none-any.whl"


def _empty_directory(cwd: Path) -> str:
    (cwd / "empty").mkdir()
    return "empty"


def _not_a_project(cwd: Path) -> str:
    copy_sample("hostile/not_a_project", cwd / "not_a_project")
    return "not_a_project"


def _malformed_toml(cwd: Path) -> str:
    copy_sample("hostile/malformed_pyproject", cwd / "malformed")
    return "malformed"


def _pyproject(text: bytes) -> Callable[[Path], str]:
    def make(cwd: Path) -> str:
        (cwd / "project").mkdir()
        (cwd / "project" / "pyproject.toml").write_bytes(text)
        return "project"

    return make


def _wheel_file(members: dict[str, str] | None, raw: bytes = b"") -> Callable[[Path], str]:
    def make(cwd: Path) -> str:
        path = cwd / "broken-1.0-py3-none-any.whl"
        if members is None:
            path.write_bytes(raw)
        else:
            write_zip(path, members)
        return path.name

    return make


# id -> (maker, the exact stderr line as a regex)
EXIT_2_CASES: dict[str, tuple[Callable[[Path], str], str]] = {
    "missing directory": (_missing_directory, r"no-such-project: no such file or directory"),
    "missing wheel": (_missing_wheel, r"dist/no_such-1\.0-py3-none-any\.whl: no such file"),
    "empty directory": (
        _empty_directory,
        r"empty: not a Python project \(no pyproject\.toml or setup\.py\)",
    ),
    "not a project": (
        _not_a_project,
        r"not_a_project: not a Python project \(no pyproject\.toml or setup\.py\)",
    ),
    "malformed TOML": (
        _malformed_toml,
        r"/malformed/pyproject\.toml: malformed TOML: "
        r"Expected '\]' at the end of a table declaration \(at line 5, column 9\)",
    ),
    "pyproject not UTF-8": (
        _pyproject(b'[project]\nname = "caf\xe9"\n'),
        r"/project/pyproject\.toml: malformed TOML: not UTF-8 \(at line 2\)",
    ),
    "build-system not a table": (
        _pyproject(b"build-system = 3\n"),
        r"/project/pyproject\.toml: malformed pyproject\.toml: build-system must be a table",
    ),
    "requires not a list": (
        _pyproject(b'[build-system]\nrequires = "setuptools"\n'),
        r"/project/pyproject\.toml: malformed pyproject\.toml: build-system\.requires must be "
        r"an array of strings",
    ),
    "project not a table": (
        _pyproject(b'project = "x"\n'),
        r"/project/pyproject\.toml: malformed pyproject\.toml: project must be a table",
    ),
    "zero-byte wheel": (
        _wheel_file(None),
        r"broken-1\.0-py3-none-any\.whl: not a valid wheel \(File is not a zip "
        r"file\)",
    ),
    "non-zip wheel": (
        _wheel_file(None, b"<html>404 Not Found</html>\n"),
        r"broken-1\.0-py3-none-any\.whl: not a valid wheel \(File is not a zip file\)",
    ),
    "wheel without dist-info": (
        _wheel_file({"broken/__init__.py": ""}),
        r"broken-1\.0-py3-none-any\.whl: not a valid wheel \(expected one \.dist-info "
        r"directory, found 0\)",
    ),
    "wheel without METADATA": (
        _wheel_file({"broken/__init__.py": "", "broken-1.0.dist-info/WHEEL": WHEEL}),
        r"broken-1\.0-py3-none-any\.whl: not a valid wheel \(broken-1\.0\.dist-info/METADATA "
        r"is missing\)",
    ),
}


@pytest.mark.parametrize("case", list(EXIT_2_CASES))
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, case):
    make, expected = EXIT_2_CASES[case]
    target = make(tmp_path)
    before = tree_digest(tmp_path)

    proc = run_mcheck(tmp_path, target)

    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert re.fullmatch(rf"mcheck: error: (\S*){expected}\n", proc.stderr), proc.stderr
    assert tree_digest(tmp_path) == before


def test_a_wheel_without_record_is_mc108_and_does_not_install(tmp_path):
    wheel = write_zip(
        tmp_path / "norecord-1.0-py3-none-any.whl",
        {
            "norecord/__init__.py": "VALUE = 1\n",
            "norecord-1.0.dist-info/METADATA": METADATA,
            "norecord-1.0.dist-info/WHEEL": WHEEL,
        },
    )

    proc = run_mcheck(tmp_path, wheel.name, "-f", "json")

    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert {(f["code"], f["path"]) for f in report["findings"]} == {
        ("MC108", "norecord-1.0.dist-info/RECORD"),  # the wheel lists no files
        ("MC002", None),  # and installers refuse it
    }
