"""What a run reports: ``--select``/``--ignore``/``per-path-ignores`` and ``# mcheck: ignore[...]`` on a
finding's line, applied the same way by ``mcheck wheel`` and ``mcheck deploy``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mcheck.analysis.imports import inline_ignores
from mcheck.findings import Finding
from mcheck.settings import Settings


def kept(findings: Iterable[Finding], settings: Settings) -> list[Finding]:
    """The findings the settings keep (codes selected, not ignored, not ignored for their path)."""
    return [f for f in findings if settings.keeps(f)]


def silenced_in_files(findings: Iterable[Finding], root: Path) -> list[Finding]:
    """The findings not silenced by a ``# mcheck: ignore[CODE]`` comment on their line of the file they
    name (a repository-relative path under ``root``; deploy files and Python sources alike)."""
    comments: dict[str, dict[tuple[str, int], frozenset[str]]] = {}
    result = []
    for finding in findings:
        if finding.path is not None and finding.line is not None:
            if finding.path not in comments:
                comments[finding.path] = _comments_of(root, finding.path)
            codes = comments[finding.path].get((finding.path, finding.line))
            if codes is not None and (not codes or finding.code in codes):
                continue
        result.append(finding)
    return result


def _comments_of(root: Path, rel: str) -> dict[tuple[str, int], frozenset[str]]:
    path = root / rel
    try:
        if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
            return {}
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    if not rel.endswith(".py"):
        # A Procfile, a Dockerfile, YAML and TOML: `#` starts a comment there too. Keep only the
        # comments, line for line, so Python's tokenizer reads them.
        text = "\n".join(
            "#" + line.split("#", 1)[1] if "#" in line else "" for line in text.splitlines()
        )
    return inline_ignores(rel, text)
