"""Static analysis of shipped sources: import sites, guards, inline ignores, undefined names."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest

from mcheck.analysis import analyse_sources, analyse_wheel
from mcheck.analysis.imports import extract_imports, inline_ignores
from mcheck.analysis.model import ImportSite, UndefinedName
from mcheck.analysis.names import undefined_names
from mcheck.wheel.artifacts import WheelContents

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)


def sites(source: str, importer: str = "pkg.app.main", *, is_package: bool = False) -> list[tuple]:
    """(line, target, names, module_level, guarded) for each import site: compact exact expectations."""
    path = importer.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    found = extract_imports(importer, path, textwrap.dedent(source), is_package=is_package)
    assert all(s.importer == importer and s.path == path for s in found)
    return [(s.line, s.target, s.names, s.module_level, s.guarded) for s in found]


def test_plain_imports_one_site_per_alias() -> None:
    assert sites("""\
        import os, yaml.loader as yl
        from Crypto.Cipher import AES, PKCS1
        from __future__ import annotations
    """) == [
        (1, "os", (), True, False),
        (1, "yaml.loader", (), True, False),
        (2, "Crypto.Cipher", ("AES", "PKCS1"), True, False),
        (3, "__future__", ("annotations",), True, False),
    ]


@pytest.mark.parametrize(
    ("importer", "is_package", "source", "expected"),
    [
        (
            "pkg.app.main",
            False,
            "from ..models import ExecuteRequest",
            ("pkg.models", ("ExecuteRequest",), 2),
        ),
        ("pkg.app.main", False, "from . import routes", ("pkg.app", ("routes",), 1)),
        ("pkg.app.main", False, "from .routes.v1 import api", ("pkg.app.routes.v1", ("api",), 1)),
        ("pkg.app", True, "from . import routes", ("pkg.app", ("routes",), 1)),
        ("pkg.app", True, "from .routes import api", ("pkg.app.routes", ("api",), 1)),
        ("pkg.app", True, "from .. import models", ("pkg", ("models",), 2)),
    ],
)
def test_relative_imports_resolve_against_the_importing_module(
    importer: str, is_package: bool, source: str, expected: tuple[str, tuple[str, ...], int]
) -> None:
    [site] = extract_imports(importer, "x.py", source, is_package=is_package)
    assert (site.target, site.names, site.level) == expected


def test_relative_import_above_the_top_level_package_is_not_a_site() -> None:
    assert sites("from ... import x\nfrom ..other import y\n", importer="pkg.mod") == []
    assert sites("from . import x\n", importer="toplevel") == []


def test_function_bodies_are_not_module_level_but_class_bodies_are() -> None:
    assert sites("""\
        class Config:
            import yaml
            def load(self):
                import toml
                async def inner():
                    import tomli
        def helper():
            from requests import get
    """) == [
        (2, "yaml", (), True, False),
        (4, "toml", (), False, False),
        (6, "tomli", (), False, False),
        (8, "requests", ("get",), False, False),
    ]


@pytest.mark.parametrize(
    "handler",
    [
        "except ImportError:",
        "except ModuleNotFoundError as exc:",
        "except Exception:",
        "except BaseException:",
        "except:",
        "except (ValueError, ImportError):",
        "except (OSError, builtins.ModuleNotFoundError):",
    ],
)
def test_try_body_is_guarded_by_import_error_like_handlers(handler: str) -> None:
    assert sites(f"try:\n    import ujson\n{handler}\n    import json\n") == [
        (2, "ujson", (), True, True),
        (4, "json", (), True, False),  # the fallback itself is not guarded
    ]


def test_try_with_unrelated_handler_is_not_a_guard() -> None:
    assert sites("""\
        try:
            import ujson
        except (ValueError, KeyError):
            pass
        else:
            import orjson
        finally:
            import simplejson
    """) == [
        (2, "ujson", (), True, False),
        (6, "orjson", (), True, False),
        (8, "simplejson", (), True, False),
    ]


def test_type_checking_body_is_guarded_and_its_else_is_not() -> None:
    assert sites("""\
        from typing import TYPE_CHECKING
        import typing
        if TYPE_CHECKING:
            from httpx import Client
        else:
            import requests
        if typing.TYPE_CHECKING:
            import boto3
        if not TYPE_CHECKING:
            import attr
        else:
            import cattrs
    """) == [
        (1, "typing", ("TYPE_CHECKING",), True, False),
        (2, "typing", (), True, False),
        (4, "httpx", ("Client",), True, True),
        (6, "requests", (), True, False),
        (8, "boto3", (), True, True),
        (10, "attr", (), True, False),
        (12, "cattrs", (), True, True),
    ]


@pytest.mark.parametrize(
    "test",
    [
        'sys.platform == "win32"',
        'os.name == "nt"',
        'platform.system() == "Windows"',
        "sys.version_info >= (3, 11)",
        'sys.platform.startswith("linux") and DEBUG',
    ],
)
def test_platform_and_version_checks_guard_both_branches(test: str) -> None:
    assert sites(f"if {test}:\n    import winreg\nelse:\n    import tomli\n") == [
        (2, "winreg", (), True, True),
        (4, "tomli", (), True, True),
    ]


def test_ordinary_if_and_loops_keep_the_enclosing_scope() -> None:
    assert sites("""\
        if DEBUG:
            import debugpy
        for x in range(3):
            import a
        while False:
            import b
        with open("f") as fh:
            import c
    """) == [
        (2, "debugpy", (), True, False),
        (4, "a", (), True, False),
        (6, "b", (), True, False),
        (8, "c", (), True, False),
    ]


def test_guards_nest_and_contextlib_suppress_guards() -> None:
    assert sites("""\
        import contextlib
        try:
            def load():
                import yaml
        except ImportError:
            pass
        with contextlib.suppress(ImportError):
            import uvloop
        with suppress(KeyError):
            import orjson
    """) == [
        (1, "contextlib", (), True, False),
        (4, "yaml", (), False, True),
        (8, "uvloop", (), True, True),
        (10, "orjson", (), True, False),
    ]


def test_syntax_error_propagates_from_extract_imports() -> None:
    with pytest.raises(SyntaxError):
        extract_imports("pkg", "pkg/__init__.py", "def broken(:\n", is_package=True)


def test_inline_ignores_parse_codes_and_bare_form() -> None:
    source = textwrap.dedent('''\
        from Crypto.Cipher import AES  # mcheck: ignore[MC202, mc204]
        import helpers  # noqa: F401  # mcheck: ignore
        x = "# mcheck: ignore[MC202]"
        y = """
        # mcheck: ignore[MC204]
        """
        import z  #mcheck:ignore[MC107]
    ''')
    assert inline_ignores("pkg/bot.py", source) == {
        ("pkg/bot.py", 1): frozenset({"MC202", "MC204"}),
        ("pkg/bot.py", 2): frozenset(),
        ("pkg/bot.py", 7): frozenset({"MC107"}),
    }


def test_inline_ignores_survive_broken_source() -> None:
    assert inline_ignores("m.py", "import a  # mcheck: ignore[MC202]\nx = (\n") == {
        ("m.py", 1): frozenset({"MC202"})
    }


def test_undefined_names_found_by_pyflakes_including_dunder_all() -> None:
    source = textwrap.dedent("""\
        __all__ = ["make_token", "missing_export"]

        def make_token(secret):
            return URLSafeTimedSerializer(secret).dumps({})

        def other():
            return Path(__file__), __name__
    """)
    assert undefined_names("pkg/app/security.py", source) == [
        UndefinedName("pkg/app/security.py", 1, "missing_export"),
        UndefinedName("pkg/app/security.py", 4, "URLSafeTimedSerializer"),
        UndefinedName("pkg/app/security.py", 7, "Path"),
    ]


def test_undefined_names_skip_modules_with_star_imports() -> None:
    assert (
        undefined_names("pkg/a.py", "from os.path import *\nprint(join, URLSafeTimedSerializer)\n")
        == []
    )


def test_dunder_path_is_defined_only_in_package_init() -> None:
    assert undefined_names("pkg/__init__.py", "print(__path__)\n") == []
    assert undefined_names("pkg/mod.py", "print(__path__)\n") == [
        UndefinedName("pkg/mod.py", 1, "__path__")
    ]


def test_undefined_names_raise_on_syntax_errors() -> None:
    with pytest.raises(SyntaxError):
        undefined_names("pkg/a.py", "def broken(:\n")


def test_analyse_sources_records_everything_and_syntax_errors_separately() -> None:
    result = analyse_sources(
        {
            "pkg/__init__.py": "from .core import run  # mcheck: ignore[MC202]\n",
            "pkg/core.py": "def run():\n    return undefined_thing\n",
            "pkg/broken.py": "def broken(:\n    pass\n",
            "pkg/templates/{{name}}/setup.py": "{{ not python }}\n",  # not importable: skipped
        }
    )
    assert result.imports == [
        ImportSite(
            importer="pkg",
            path="pkg/__init__.py",
            line=1,
            target="pkg.core",
            names=("run",),
            level=1,
        )
    ]
    assert result.undefined_names == [UndefinedName("pkg/core.py", 2, "undefined_thing")]
    assert result.syntax_errors == {"pkg/broken.py": "line 1: invalid syntax"}
    assert result.is_ignored("pkg/__init__.py", 1, "MC202")
    assert not result.is_ignored("pkg/__init__.py", 1, "MC204")


def test_analyse_wheel_reads_purelib_data_and_skips_dist_info(tmp_path: Path) -> None:
    path = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/__init__.py", "import yaml\n")
        zf.writestr("pkg-1.0.data/purelib/extra.py", "import toml\n")
        zf.writestr(
            "pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"
        )
        zf.writestr("pkg-1.0.dist-info/RECORD", "")
    result = analyse_wheel(WheelContents.read(path))
    assert [(s.path, s.importer, s.target) for s in result.imports] == [
        ("extra.py", "extra", "toml"),
        ("pkg/__init__.py", "pkg", "yaml"),
    ]


@pytest.mark.parametrize(
    ("primary", "fallback"),
    [
        ("from typing import Literal", "from typing_extensions import Literal"),
        ("import tomllib", "import tomli as tomllib"),
        ("from importlib.metadata import version", "from importlib_metadata import version"),
    ],
)
def test_the_fallback_of_a_stdlib_import_is_a_backport_for_older_pythons(
    primary: str, fallback: str
) -> None:
    # It runs only where the standard library lacks the name: as conditional as a version check.
    found = sites(f"try:\n    {primary}\nexcept ImportError:\n    {fallback}\n")
    assert [(line, guarded) for line, _, _, _, guarded in found] == [(2, True), (4, True)]


@pytest.mark.parametrize(
    "exit_statement",
    ["assert False, 'Unreachable'", "raise ImportError('3.9+')", "return None", "sys.exit(1)"],
)
def test_an_early_exit_on_the_version_makes_what_follows_conditional(exit_statement: str) -> None:
    """pydantic 2.10: `if sys.version_info < (3, 9): assert False` then `from zoneinfo import ...`
    in the same function: the import runs only on 3.9+, as in an `else:` branch. Conditional (the
    floor check skips it), not guarded: its failure is not expected where it runs (PolarDNS, in
    the corpus: `sys.exit` on old Pythons, then `import nfz` of a file the image lacks)."""
    source = textwrap.dedent(f"""\
        import sys
        def schema():
            if sys.version_info < (3, 9):
                {exit_statement}
            from zoneinfo import ZoneInfo
            return ZoneInfo
        def other():
            from zoneinfo import ZoneInfo
        """)
    sites = {s.line: s for s in extract_imports("pkg.m", "pkg/m.py", source, is_package=False)}
    assert sites[5].conditional and not sites[5].guarded
    assert not sites[8].guarded and not sites[8].conditional
