"""MC205's floor: the oldest Python ``requires-python`` admits, and what counts as needing more."""

from __future__ import annotations

import pytest

from mcheck.analysis.imports import extract_imports
from mcheck.analysis.model import StaticAnalysis
from mcheck.checks.python_floor import _stdlib_findings, python_floor

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("requires", "floor"),
    [
        (">=3.9", (3, 9)),
        ("~=3.8", (3, 8)),
        (">3.8", (3, 8)),
        (">=3.8,!=3.8.*", (3, 9)),
        ("==3.12.*", (3, 12)),
        ("<3", None),
        ("", None),
        (None, None),
        ("not a specifier", None),
    ],
)
def test_the_floor_is_the_oldest_admitted_minor_version(requires, floor):
    assert python_floor(requires) == floor


def findings_for(source: str, floor: tuple[int, int]) -> list[tuple[int | None, str]]:
    sites = extract_imports("pkg.mod", "pkg/mod.py", source, is_package=False)
    return [(f.line, f.message) for f in _stdlib_findings(StaticAnalysis(imports=sites), floor)]


def test_unguarded_newer_modules_and_names_are_findings_guarded_ones_are_not():
    source = (
        "import zoneinfo\n"
        "from functools import cache, cached_property\n"
        "try:\n    import tomllib\nexcept ImportError:\n    import tomli as tomllib\n"
        "import sys\nif sys.version_info >= (3, 11):\n    from typing import Self\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from typing import override\n"
        "def later():\n    import graphlib\n"
    )
    assert findings_for(source, (3, 8)) == [
        (1, "`import zoneinfo` needs Python 3.9, but requires-python allows 3.8"),
        (2, "`from functools import cache` needs Python 3.9, but requires-python allows 3.8"),
        (14, "`import graphlib` needs Python 3.9, but requires-python allows 3.8"),
    ]
    assert findings_for(source, (3, 9)) == []


def test_an_import_under_any_condition_is_not_a_finding():
    """typing_extensions 4.12.2: `if _PEP_696_IMPLEMENTED: from typing import ParamSpec`, a version
    test by another name (found by the realworld list)."""
    source = (
        "import sys\n_NEW = sys.version_info >= (3, 13)\n"
        "if _NEW:\n    from typing import ParamSpec\n"
        "try:\n    import tomllib\nexcept Exception:\n    tomllib = None\n"
    )
    assert findings_for(source, (3, 8)) == []
