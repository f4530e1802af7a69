"""``.dockerignore`` with Docker's semantics, on top of pathspec.

Docker differs from gitignore: patterns are anchored at the context root (``*.pyc`` matches only
top-level files, ``**/*.pyc`` matches everywhere), a leading ``/`` or ``./`` is cleaned away, ``!`` re-
includes, and the last matching line wins. A pattern matching a directory excludes everything below
it. We anchor every pattern with ``/`` and let pathspec's gitwildmatch do the globbing.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from mcheck.smallfiles import read_small_text

try:  # pathspec >= 1.0 renamed the pattern class; 0.12 only has the old name
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as GitWildMatchPattern
except ImportError:  # pragma: no cover - depends on the installed pathspec
    from pathspec.patterns.gitwildmatch import GitWildMatchPattern


@dataclass(frozen=True)
class IgnoreRule:
    line: int
    text: str
    pattern: GitWildMatchPattern
    negated: bool


class DockerIgnore:
    """The rules of one ``.dockerignore``; ``source`` is its repository-relative path."""

    def __init__(self, source: str, rules: list[IgnoreRule]) -> None:
        self.source = source
        self.rules = rules

    @classmethod
    def read(cls, path: Path, source: str) -> DockerIgnore:
        rules: list[IgnoreRule] = []
        try:
            text = read_small_text(path, errors="replace") if path.is_file() else ""
        except OSError:  # a .dockerignore Docker could not read either: no rules, as for none
            text = ""
        if text:
            for number, raw in enumerate(text.splitlines(), 1):
                rule = _rule(number, raw)
                if rule is not None:
                    rules.append(rule)
        return cls(source, rules)

    def excluded_by(self, rel: str) -> IgnoreRule | None:
        """The rule that excludes context-relative ``rel``, or None when it reaches the build."""
        verdict: IgnoreRule | None = None
        for rule in self.rules:
            if _matches(rule, rel):
                verdict = None if rule.negated else rule
        return verdict


def _rule(number: int, raw: str) -> IgnoreRule | None:
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    body = text[1:].strip() if negated else text
    body = posixpath.normpath(body.lstrip("/")) if body.strip("/") else ""
    if not body or body == ".":
        return None
    return IgnoreRule(number, text, GitWildMatchPattern("/" + body), negated)


def _matches(rule: IgnoreRule, rel: str) -> bool:
    # A rule that names a directory excludes the files under it: test the path and each parent.
    parts = rel.split("/")
    return any(
        rule.pattern.match_file("/".join(parts[:i])) is not None for i in range(len(parts), 0, -1)
    )
