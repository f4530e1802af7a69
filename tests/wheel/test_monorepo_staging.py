"""A project inside a repository builds as it does in a real checkout: files above it that the build
configuration names, the repository's ``.gitignore``, and git itself for VCS plugins (class 3 of the
real-bug corpus: vantage6, ldk-node, riskkernel, findmy)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mcheck.api import check_wheel

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "init.defaultBranch=main"]


def _repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "x"], cwd=root, check=True)
    return root


HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


def _errors(report) -> set[tuple[str, str | None]]:
    return {(f.code, f.path) for f in report.findings if f.severity.value == "error"}


def test_a_file_force_included_from_the_parent_directory_is_there_for_the_build(tmp_path):
    # The shared schema lives next to the packages, as in every gRPC monorepo; the sdist takes it in.
    repo = _repo(
        tmp_path / "repo",
        {
            "proto/api.proto": 'syntax = "proto3";\n',
            "packages/core/pyproject.toml": HATCH + '[project]\nname = "core"\nversion = "1"\n'
            '[tool.hatch.build.targets.sdist.force-include]\n"../../proto/api.proto" = "core/api.proto"\n',
            "packages/core/core/__init__.py": "",
        },
    )
    report = check_wheel(repo / "packages" / "core", cache=False)
    assert _errors(report) == set()
    assert report.modules.imported == 1


def test_the_repositorys_gitignore_decides_what_hatchling_ships(tmp_path):
    # riskkernel: the repository root ignores its Go binary `/core`; hatchling applies the root's
    # .gitignore relative to the project directory, so libs/core/core/ is left out of the real build,
    # which ships no code. mcheck's staged build must see that .gitignore too.
    repo = _repo(
        tmp_path / "repo",
        {
            ".gitignore": "/core\n",
            "libs/core/pyproject.toml": HATCH + '[project]\nname = "core"\nversion = "1"\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["core"]\n',
            "libs/core/core/__init__.py": "",
        },
    )
    report = check_wheel(repo / "libs" / "core", cache=False)
    assert _errors(report) == {("MC109", "../../.gitignore")}
    [finding] = report.findings
    assert finding.line == 1 and "`/core` matches core/" in finding.message
