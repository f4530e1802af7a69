"""MC202/MC203 (dependencies), MC107 (first-party code not shipped) and MC204 (undefined names)."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from mcheck.analysis import analyse_wheel
from mcheck.checks import CheckContext, run_one
from mcheck.checks.dependencies import undeclared_dependencies
from mcheck.checks.first_party import first_party_not_shipped
from mcheck.checks.names import undefined_names
from mcheck.findings import Finding
from mcheck.probes.protocol import Distribution, ModuleResult, ProbeResult
from mcheck.wheel.artifacts import WheelContents
from mcheck.wheel.discover import Project

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

HTTPX = Distribution(
    "httpx", "0.27.0", ("idna", "sniffio>=1.1", "h2<5,>=3; extra == 'http2'"), ("httpx",)
)
IDNA = Distribution("idna", "3.7", (), ("idna",))
SNIFFIO = Distribution("sniffio", "1.3.1", (), ("sniffio",))
H2 = Distribution("h2", "4.1.0", ("hpack",), ("h2",))
CRYPTODOMEX = Distribution("pycryptodomex", "3.20.0", (), ("Cryptodome",))
CLICK = Distribution("click", "8.1.7", (), ("click",))


def make_wheel(tmp_path: Path, files: dict[str, str], metadata: str = "") -> WheelContents:
    """A real (tiny) wheel: ``files`` as shipped, METADATA with extra ``metadata`` header lines."""
    path = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, source in files.items():
            zf.writestr(name, textwrap.dedent(source))
        header = "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n" + textwrap.dedent(metadata)
        zf.writestr("pkg-1.0.dist-info/METADATA", header)
        zf.writestr("pkg-1.0.dist-info/RECORD", "")
    return WheelContents.read(path)


def make_probe(*distributions: Distribution) -> ProbeResult:
    own = Distribution("pkg", "1.0", (), ("pkg",))
    return ProbeResult(
        python_version="3.11.7",
        platform="linux",
        stdlib_module_names=frozenset(sys.stdlib_module_names),
        sys_path=(),
        distributions=(own, *distributions),
    )


def make_project(root: Path, files: tuple[str, ...]) -> Project:
    return Project(
        root=root,
        backend="setuptools.build_meta",
        build_requires=("setuptools",),
        name="pkg",
        version="1.0",
        files=files,
    )


def context(
    wheel: WheelContents, probe: ProbeResult | None = None, project: Project | None = None
) -> CheckContext:
    return CheckContext(wheel=wheel, probe=probe, project=project, analysis=analyse_wheel(wheel))


# --- MC202 ---------------------------------------------------------------------------------------


def test_mc202_crypto_while_pycryptodomex_is_declared(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/bot.py": """\
            import os
            import json
            from Crypto.Cipher import AES
            from Crypto.Util import Padding
            from Cryptodome.Hash import SHA256
        """,
        },
        "Requires-Dist: pycryptodomex>=3.20\n",
    )
    findings = list(run_one(undeclared_dependencies, context(wheel, make_probe(CRYPTODOMEX))))
    assert findings == [
        Finding(
            "MC202",
            path="pkg/bot.py",
            line=3,
            message="pkg/bot.py:3 imports Crypto, which no declared dependency provides",
            hint="`Crypto` comes from pycryptodome; the declared pycryptodomex installs `Cryptodome`: "
            "import `Cryptodome.Cipher` or depend on pycryptodome",
        )
    ]


def test_mc202_unknown_module_hint_and_what_is_not_reported(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        {
            "pkg/__init__.py": """\
            from __future__ import annotations
            from typing import TYPE_CHECKING
            from pkg import sub
            from . import sub as again
            import zzfrobnicate
            try:
                import ujson
            except ImportError:
                ujson = None
            if TYPE_CHECKING:
                import boto3
            def later():
                import pandas
            import zzfrobnicate.extra  # second import of the same name in the same file
        """,
            "pkg/sub.py": "import zzfrobnicate  # mcheck: ignore[MC202]\n",
            "pkg/other.py": "import zzfrobnicate  # mcheck: ignore[MC204]\n",
        },
    )
    findings = list(run_one(undeclared_dependencies, context(wheel, make_probe())))
    hint = (
        "`zzfrobnicate` comes from zzfrobnicate: add it to your dependencies, or guard the import with "
        "try/except ImportError if optional"
    )
    assert findings == [
        Finding(
            "MC202",
            path="pkg/__init__.py",
            line=5,
            hint=hint,
            message="pkg/__init__.py:5 imports zzfrobnicate, which no declared dependency provides",
        ),
        Finding(
            "MC202",
            path="pkg/other.py",
            line=1,
            hint=hint,
            message="pkg/other.py:1 imports zzfrobnicate, which no declared dependency provides",
        ),
    ]


def test_mc202_installed_but_undeclared_distribution_is_named(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, {"pkg/__init__.py": "import click\n"})
    [finding] = run_one(undeclared_dependencies, context(wheel, make_probe(CLICK)))
    assert (finding.code, finding.line) == ("MC202", 1)
    assert finding.hint is not None and finding.hint.startswith("`click` comes from click: add it")


# --- MC203 ---------------------------------------------------------------------------------------


def test_mc203_module_only_a_transitive_dependency_provides(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        {
            "pkg/__init__.py": "import httpx\nimport idna\n",
            "pkg/net.py": "def f():\n    import sniffio\ntry:\n    import idna\nexcept ImportError:\n    pass\n",
        },
        "Requires-Dist: httpx>=0.27\n",
    )
    findings = list(
        run_one(undeclared_dependencies, context(wheel, make_probe(HTTPX, IDNA, SNIFFIO)))
    )
    assert findings == [
        Finding(
            "MC203",
            path="pkg/__init__.py",
            line=2,
            message="pkg/__init__.py:2 imports idna, which only the transitive dependency httpx -> idna "
            "provides",
            hint="add idna to your dependencies: it is installed only because httpx depends on it today",
        ),
        Finding(
            "MC203",
            path="pkg/net.py",
            line=2,
            message="pkg/net.py:2 imports sniffio, which only the transitive dependency httpx -> sniffio "
            "provides",
            hint="add sniffio to your dependencies: it is installed only because httpx depends on it today",
        ),
    ]


def test_mc203_follows_requested_extras_only(tmp_path: Path) -> None:
    files = {"pkg/__init__.py": "import h2\nimport hpack\n"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_extra = make_wheel(tmp_path / "a", files, "Requires-Dist: httpx[http2]\n")
    found = [
        (f.code, f.message)
        for f in run_one(
            undeclared_dependencies,
            context(
                with_extra,
                make_probe(HTTPX, IDNA, H2, Distribution("hpack", "4.0", (), ("hpack",))),
            ),
        )
    ]
    assert found == [
        (
            "MC203",
            "pkg/__init__.py:1 imports h2, which only the transitive dependency httpx -> h2 provides",
        ),
        (
            "MC203",
            "pkg/__init__.py:2 imports hpack, which only the transitive dependency httpx -> h2 -> hpack "
            "provides",
        ),
    ]
    without_extra = make_wheel(tmp_path / "b", files, "Requires-Dist: httpx\n")
    found = [
        (f.code, f.path)
        for f in run_one(
            undeclared_dependencies,
            context(
                without_extra,
                make_probe(HTTPX, IDNA, H2, Distribution("hpack", "4.0", (), ("hpack",))),
            ),
        )
    ]
    assert found == [("MC202", "pkg/__init__.py"), ("MC202", "pkg/__init__.py")]


def test_dependencies_declared_only_under_an_extra_are_not_reported(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        {"pkg/cli.py": "import click\nimport yaml\n"},
        'Provides-Extra: cli\nRequires-Dist: click>=8; extra == "cli"\n'
        'Requires-Dist: pyyaml; extra == "cli"\n',
    )
    assert (
        list(run_one(undeclared_dependencies, context(wheel, make_probe()))) == []
    )  # extra not installed
    assert (
        list(run_one(undeclared_dependencies, context(wheel, make_probe(CLICK)))) == []
    )  # --extras cli


def test_a_fallback_import_is_not_a_dependency_when_the_module_imported(tmp_path: Path) -> None:
    """Sphinx 7.4: `try: from docutils.utils.roman import toRoman / except ImportError: from roman
    import toRoman`. The module imported in the fresh venv and nothing there provides `roman`, so the
    first import worked: the fallback is for other docutils versions. Before the module imported
    (or with `roman` installed, so the fallback may be what worked), it is still judged."""
    source = (
        "try:\n    from docutils.utils.roman import toRoman\n"
        "except ImportError:\n    from roman import toRoman\n"
    )
    wheel = make_wheel(tmp_path, {"pkg/latex.py": source}, "Requires-Dist: docutils\n")
    docutils = Distribution("docutils", "0.21", (), ("docutils",))
    imported = dataclasses.replace(
        make_probe(docutils), modules={"pkg.latex": ModuleResult("pkg.latex", "ok", 0.01)}
    )
    assert list(run_one(undeclared_dependencies, context(wheel, imported))) == []
    roman = Distribution("roman", "4.2", (), ("roman",))
    with_roman = dataclasses.replace(imported, distributions=(*imported.distributions, roman))
    (finding,) = run_one(undeclared_dependencies, context(wheel, with_roman))
    assert (finding.code, finding.path, finding.line) == ("MC202", "pkg/latex.py", 4)


def test_an_integration_named_like_its_extra_is_not_judged_by_its_imports(tmp_path: Path) -> None:
    """celery 5.4: concurrency/eventlet.py imports greenlet, which the `eventlet` extra's eventlet
    brings; `pkg/cli.py` under an extra `cli = [click]` importing an undeclared `rich` is MC202."""
    wheel = make_wheel(
        tmp_path,
        {"pkg/concurrency/eventlet.py": "import greenlet\n", "pkg/cli.py": "import rich\n"},
        'Provides-Extra: eventlet\nRequires-Dist: eventlet>=0.32; extra == "eventlet"\n'
        'Provides-Extra: cli\nRequires-Dist: click; extra == "cli"\n',
    )
    findings = run_one(undeclared_dependencies, context(wheel, make_probe()))
    assert [(f.code, f.path) for f in findings] == [("MC202", "pkg/cli.py")]


# --- MC107 ---------------------------------------------------------------------------------------


def test_mc107_root_level_module_and_sibling_src_directory(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/app.py": """\
            import os
            import helpers
            def handler():
                from src.config import Config
                import helpers
            import shared.util
        """,
        },
    )
    project = make_project(
        tmp_path,
        (
            "pyproject.toml",
            "helpers.py",
            "src/config.py",
            "src/pkg/__init__.py",
            "src/pkg/app.py",
            "src/shared/util.py",
            "README.md",
        ),
    )
    ctx = context(wheel, make_probe(), project)
    findings = list(run_one(first_party_not_shipped, ctx))
    assert [(f.path, f.line, f.message) for f in findings] == [
        (
            "pkg/app.py",
            2,
            "pkg/app.py:2 imports helpers, which exists in the project as helpers.py but is "
            "not in the wheel",
        ),
        (
            "pkg/app.py",
            4,
            "pkg/app.py:4 imports src.config, which exists in the project as src/config.py but "
            "is not in the wheel",
        ),
        (
            "pkg/app.py",
            6,
            "pkg/app.py:6 imports shared.util, which exists in the project as "
            "src/shared/util.py but is not in the wheel",
        ),
    ]
    assert findings[0].hint is not None and findings[0].hint.startswith(
        "move helpers.py into the package (pkg/helpers.py) and import it as `from pkg import helpers`, "
        'or ship it too (setuptools: `py-modules = ["helpers"]`'
    )
    # The same imports are first-party code, not missing dependencies: no MC202 on top of MC107.
    assert list(run_one(undeclared_dependencies, ctx)) == []


def test_mc107_package_directory_honours_ignores_and_installed_distributions(
    tmp_path: Path,
) -> None:
    wheel = make_wheel(
        tmp_path,
        {
            "pkg/__init__.py": "import common.db\nimport mega_sync  # mcheck: ignore[MC107]\nimport click\n",
        },
    )
    project = make_project(
        tmp_path,
        (
            "common/__init__.py",
            "common/db/__init__.py",
            "mega_sync.py",
            "click/__init__.py",
            "pkg/__init__.py",
        ),
    )
    findings = list(run_one(first_party_not_shipped, context(wheel, make_probe(CLICK), project)))
    assert [(f.line, f.message) for f in findings] == [
        (
            1,
            "pkg/__init__.py:1 imports common.db, which exists in the project as common/db/__init__.py but "
            "is not in the wheel",
        ),
    ]


# --- MC204 ---------------------------------------------------------------------------------------


def test_mc204_undefined_names_with_import_hints(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        {
            "pkg/app/security.py": """\
            def make_token(secret):
                return URLSafeTimedSerializer(secret).dumps({})
            def paths():
                return Path("."), frobnicate(), Path("x")
            def ignored():
                return Optional  # mcheck: ignore[MC204]
        """,
        },
    )
    findings = list(run_one(undefined_names, context(wheel)))
    assert [(f.path, f.line, f.message, f.hint) for f in findings] == [
        (
            "pkg/app/security.py",
            2,
            "pkg/app/security.py:2 uses URLSafeTimedSerializer, which is never defined or imported",
            "add `from itsdangerous import URLSafeTimedSerializer`",
        ),
        (
            "pkg/app/security.py",
            4,
            "pkg/app/security.py:4 uses Path, which is never defined or imported",
            "add `from pathlib import Path`",
        ),
        (
            "pkg/app/security.py",
            4,
            "pkg/app/security.py:4 uses frobnicate, which is never defined or imported",
            "import or define it",
        ),
    ]
