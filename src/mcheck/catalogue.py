"""The catalogue of finding codes: the single source of truth.

The CLI (``--select``/``--ignore`` validation, ``mcheck explain``), every reporter (SARIF rules,
JUnit test names, JSON) and the generated ``docs/codes.md`` read this table. Adding a check starts
with one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcheck.findings import Severity, Stage


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: Severity
    stage: Stage
    title: str
    why: str
    before: str
    after: str


def _entry(
    code: str, severity: Severity, stage: Stage, title: str, why: str, before: str, after: str
) -> CodeInfo:
    return CodeInfo(
        code, severity, stage, title, why.strip(), before.strip("\n"), after.strip("\n")
    )


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

_ENTRIES = [
    _entry(
        "MC001",
        E,
        Stage.BUILD,
        "the sdist or the wheel could not be built",
        """
        mcheck builds the sdist from a clean copy of the project, then the wheel from that sdist, exactly
        as pip does when it installs from a source release. A failure here means users installing from
        the sdist will fail too. The finding names the stage (sdist or wheel) and shows the tail of the
        backend's log. Typical causes: a `setup.py` that imports the package itself, a file the build
        needs that is not included in the sdist, a build backend that is not in `build-system.requires`.
        """,
        """
        # pyproject.toml
        [build-system]
        requires = ["setuptools"]
        build-backend = "hatchling.build"   # not installed in the build environment
        """,
        """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        """,
    ),
    _entry(
        "MC002",
        E,
        Stage.INSTALL,
        "the wheel does not install into a fresh virtual environment",
        """
        The built wheel is installed with its declared dependencies into a brand-new venv (no system
        site-packages). If that fails, so will `pip install` for your users: a dependency that does not
        exist or cannot be resolved, conflicting pins, or a `Requires-Python` that excludes the
        interpreter. The finding shows the installer's error.
        """,
        """
        [project]
        requires-python = ">=3.13"      # but you deploy on 3.11
        dependencies = ["requests==99.0"]
        """,
        """
        [project]
        requires-python = ">=3.11"
        dependencies = ["requests>=2.31"]
        """,
    ),
    _entry(
        "MC003",
        E,
        Stage.PROBE,
        "a probe of mcheck itself failed, so part of the project went unchecked",
        """
        The import, app or deploy-target probe runs inside the target venv and answers in JSON. This
        finding means the probe itself gave no usable answer: it could not start with the venv's
        interpreter, it outran its wall-clock guard (the sum of the per-item timeouts plus a margin),
        it wrote no answer or a malformed one, or it answered with another protocol version (a copy of
        an older mcheck). It is not a verdict on one of your modules: what the probe would have checked
        was not checked, so the run cannot pass. The message names the probe and carries the tail of
        its log; `--keep -v` keeps its work directory to inspect.
        """,
        """
        $ mcheck wheel .
        MC003  the import probe did not finish within 660 s
        """,
        """
        $ mcheck wheel . --timeout 60 --keep -v   # a per-module timeout that fits, and the logs kept
        """,
    ),
    _entry(
        "MC004",
        I,
        Stage.INSTALL,
        "a Python version the project supports is not installed here, so it was not checked",
        """
        With `--python supported` mcheck imports the wheel with every installed interpreter that
        `requires-python` admits; this lists the CPython releases it admits that are not installed on
        this machine, so a green run does not claim more than it checked. For `mcheck deploy`, it
        says that the Python the service runs (its image tag, `.python-version`, `runtime.txt`, ...)
        is not installed here and which one was used instead. mcheck never downloads an interpreter.
        """,
        """
        requires-python = ">=3.9"     # installed here: 3.11, 3.12
        MC004  requires-python >=3.9 admits Python 3.9, 3.10, 3.13, 3.14, 3.15, which are not installed
        """,
        """
        uv python install 3.9 3.10 3.13   # then: mcheck wheel --python supported
        """,
    ),
    _entry(
        "MC101",
        E,
        Stage.DIFF,
        "a Python file of a shipped package is missing from the wheel",
        """
        A `.py` file sits under the source directory of a package the wheel ships, but the wheel does not
        contain it, so importing it after a normal install raises `ModuleNotFoundError` (editable installs
        and tests run from the checkout still pass). The hint says why and at which stage it was dropped:
        setuptools' `find_packages()` / `packages.find` with `namespaces = false` skips directories without
        `__init__.py`; `include = ["pkg"]` matches only the top-level package (use `"pkg*"`); an explicit
        `packages = [...]` list that does not name the sub-package; or the file never reached the sdist.
        """,
        """
        src/pkg/__init__.py
        src/pkg/app/main.py          # app/ has no __init__.py -> not in the wheel
        [tool.setuptools.packages.find]
        where = ["src"]
        namespaces = false
        """,
        """
        src/pkg/__init__.py
        src/pkg/app/__init__.py      # add it (or set namespaces = true)
        src/pkg/app/main.py
        """,
    ),
    _entry(
        "MC102",
        W,
        Stage.DIFF,
        "a data file of a shipped package is missing from the wheel",
        """
        A non-Python file (template, JSON, `py.typed`, ...) sits in a shipped package's directory but is not
        in the wheel, so `importlib.resources` or a path next to `__file__` will not find it after install.
        Declare it as package data (setuptools: `[tool.setuptools.package-data]`, or
        `include-package-data = true` plus a `MANIFEST.in` entry so it reaches the sdist first).
        """,
        """
        src/pkg/templates/page.html   # not in MANIFEST.in, no package-data
        """,
        """
        [tool.setuptools.package-data]
        pkg = ["templates/*.html"]
        """,
    ),
    _entry(
        "MC103",
        E,
        Stage.DIFF,
        "a module `x.py` and a package `x/` share a name",
        """
        Python can import only one of them. A regular package (`x/__init__.py`) always wins over `x.py`, so
        `from .x import Thing` looks in `x/__init__.py` and fails with `ImportError` even though `Thing` is
        defined in `x.py`. If `x/` has no `__init__.py`, `x.py` wins and nothing under `x/` can be imported.
        Merge them: move the contents of `x.py` into `x/__init__.py` (or re-export from there), or rename one.
        """,
        """
        pkg/models.py            # class ExecuteRequest
        pkg/models/__init__.py   # wins: `from pkg.models import ExecuteRequest` fails
        """,
        """
        pkg/models/__init__.py   # from .execute import ExecuteRequest
        pkg/models/execute.py    # former models.py
        """,
    ),
    _entry(
        "MC104",
        E,
        Stage.DIFF,
        "the wheel ships a file that neither the source tree nor a fresh build has",
        """
        The wheel you are about to upload contains a file that is not in the source tree and that a fresh
        build from that tree does not produce: typically a module deleted from the source that survived in a
        stale `build/lib` directory, because setuptools copies `build/lib` into the wheel without cleaning
        it. Files the build itself generates (a `_version.py` from setuptools-scm) are expected and not
        reported. Rebuild from a clean tree (`rm -rf build/ *.egg-info` or use `python -m build`).
        """,
        """
        rm src/pkg/old.py
        python setup.py bdist_wheel   # build/lib/pkg/old.py is still copied into the wheel
        """,
        """
        rm -rf build/ src/*.egg-info
        python -m build               # or: uv build
        """,
    ),
    _entry(
        "MC105",
        W,
        Stage.DIFF,
        "the wheel installs a generic top-level name",
        """
        The wheel installs a top-level package or module with a generic name (`tests`, `docs`, `src`,
        `build`, `examples`, ...) or a top-level `__init__.py`. Installed into site-packages it clashes with
        every other project that makes the same mistake, and it usually means the package discovery picked
        up a directory it should not have.
        """,
        """
        [tool.setuptools.packages.find]   # finds tests/ too
        """,
        """
        [tool.setuptools.packages.find]
        include = ["pkg*"]
        """,
    ),
    _entry(
        "MC106",
        W,
        Stage.DIFF,
        "the wheel contains bytecode or junk files",
        """
        `.pyc` files, `__pycache__` directories, `.DS_Store`, editor backups or VCS metadata in a wheel are
        dead weight at best and stale code at worst (a `.pyc` for a module whose source was removed can
        still be imported). They usually come from a dirty build directory or an over-broad include rule.
        """,
        """
        [tool.hatch.build]
        include = ["pkg/**"]       # also takes pkg/__pycache__/*.pyc
        """,
        """
        [tool.hatch.build]
        include = ["pkg/**/*.py", "pkg/**/*.json"]
        """,
    ),
    _entry(
        "MC107",
        E,
        Stage.ANALYSE,
        "shipped code imports a first-party module that the wheel does not ship",
        """
        A module in the wheel imports a module that exists in your project tree (a root-level
        `helpers.py`, a sibling `src/` or `common/` directory) but is not part of the wheel. It works when
        you run from the checkout, where the repository root is on `sys.path`, and fails everywhere else.
        Move the module into the package, or ship it (`py-modules = ["helpers"]`), or make it its own
        distribution and depend on it.
        """,
        """
        helpers.py              # at the repository root
        pkg/app.py:  import helpers
        """,
        """
        pkg/helpers.py
        pkg/app.py:  from pkg import helpers
        """,
    ),
    _entry(
        "MC108",
        E,
        Stage.DIFF,
        "the wheel's RECORD is missing entries or has wrong hashes or sizes",
        """
        Every file in a wheel must be listed in `*.dist-info/RECORD` with its sha256 hash and size
        (PEP 376/427). A mismatch means the wheel was modified after it was built, or built by a broken
        tool; installers may reject it and uninstall cannot remove unlisted files. Rebuild the wheel instead
        of patching it.
        """,
        """
        zip -u dist/pkg-1.0-py3-none-any.whl pkg/extra.py   # not in RECORD
        """,
        """
        python -m build --wheel    # regenerates RECORD with every file's hash
        """,
    ),
    _entry(
        "MC109",
        E,
        Stage.DIFF,
        "the wheel ships none of a package the project's source tree holds",
        """
        A whole package of the project (its own top-level package, the one an entry point or app names,
        or any package when the wheel ships no code at all) is absent from the wheel, so `import pkg`
        fails for every user. The cause is the package selection: a `packages` entry that names the
        distribution (`pkg-name`) or a path that does not exist, `py-modules` naming a package
        directory, or a backend heuristic that looks for a directory named after the project and finds
        none. The message names the setting and its line.
        """,
        """
        [project]
        name = "pkg-tools"

        [tool.hatch.build.targets.wheel]
        packages = ["pkg-tools"]      # no such directory: the wheel holds only .dist-info
        """,
        """
        [tool.hatch.build.targets.wheel]
        packages = ["pkg"]            # the directory that holds pkg/__init__.py
        """,
    ),
    _entry(
        "MC201",
        E,
        Stage.PROBE,
        "`__version__` differs from the distribution's metadata version",
        """
        A shipped package defines `__version__` by hand and it disagrees with the `Version` in the wheel's
        metadata (the one pip, `importlib.metadata.version()` and PyPI see). Bug reports, `--version`
        output and feature checks then lie. Keep one source of truth: read the version from the package
        (`dynamic = ["version"]` with the backend's version attribute) or derive `__version__` from
        `importlib.metadata.version("name")`.
        """,
        """
        # pyproject.toml: version = "1.2.0"
        # pkg/__init__.py
        __version__ = "1.0.0"
        """,
        """
        from importlib.metadata import version
        __version__ = version("pkg")
        """,
    ),
    _entry(
        "MC202",
        E,
        Stage.ANALYSE,
        "shipped code imports a third-party module that no declared dependency provides",
        """
        A module-level, unguarded import of a third-party module that none of the wheel's declared
        dependencies (nor their dependencies) installs. It works on your machine because the module happens
        to be installed there. The finding gives file and line and, where known, the distribution that does
        provide the module: e.g. `Crypto` comes from `pycryptodome`; `pycryptodomex` installs `Cryptodome`.
        Imports inside `try/except ImportError`, `if TYPE_CHECKING:` or functions are not reported here.
        """,
        """
        dependencies = ["pycryptodomex"]
        from Crypto.Cipher import AES        # Crypto is pycryptodome's
        """,
        """
        dependencies = ["pycryptodomex"]
        from Cryptodome.Cipher import AES
        """,
    ),
    _entry(
        "MC203",
        W,
        Stage.ANALYSE,
        "an imported third-party module comes only from a transitive dependency",
        """
        Shipped code imports a module that is installed only because one of your dependencies depends on
        it. The day that dependency drops it, your package breaks without any change of yours. Declare it
        directly.
        """,
        """
        dependencies = ["httpx"]
        import idna              # installed only because httpx needs it
        """,
        """
        dependencies = ["httpx", "idna"]
        """,
    ),
    _entry(
        "MC204",
        E,
        Stage.ANALYSE,
        "a name used in shipped code is never defined or imported",
        """
        A name is used but never assigned, imported or built in: the `NameError` that waits for the first
        request that reaches that line (for example `URLSafeTimedSerializer(...)` without
        `from itsdangerous import URLSafeTimedSerializer`). Found statically with pyflakes, so it is caught
        even in code no test executes. Modules with `from x import *` are skipped.
        """,
        """
        def make_token(secret):
            return URLSafeTimedSerializer(secret).dumps({})
        """,
        """
        from itsdangerous import URLSafeTimedSerializer

        def make_token(secret):
            return URLSafeTimedSerializer(secret).dumps({})
        """,
    ),
    _entry(
        "MC205",
        E,
        Stage.ANALYSE,
        "shipped code needs a newer Python than requires-python allows",
        """
        `requires-python` says which interpreters may install the package; pip and uv install it on
        the oldest of them without complaint, and there it fails at import: a standard-library module
        or name that does not exist yet (`tomllib` is 3.11+, `typing.Self` 3.11+), or syntax that
        does not parse (`match` is 3.10+, `except*` 3.11+). mcheck parses every shipped module with
        the floor's grammar and checks its unguarded imports against the versions that introduced
        them. Imports in `try/except ImportError`, `if sys.version_info >= ...` or `TYPE_CHECKING`
        blocks are not findings.
        """,
        """
        requires-python = ">=3.9"
        import tomllib                       # 3.11+
        """,
        """
        requires-python = ">=3.9"            # dependencies: "tomli; python_version < '3.11'"
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
        """,
    ),
    _entry(
        "MC206",
        E,
        Stage.ANALYSE,
        "shipped code uses a stdlib module or name removed in a Python that requires-python allows",
        """
        The other end of MC205: `requires-python = ">=3.8"` with no upper bound promises every newer
        Python too, and the interpreter removes what it deprecated (`imp` and `distutils` in 3.12, the
        PEP 594 modules such as `cgi` and `telnetlib` in 3.13, the `collections` ABC aliases in 3.10,
        `ast.Str` in 3.14). The wheel installs there and fails at import. mcheck checks the unguarded
        imports of shipped code against the release that removed them, names the newest version where
        the import still works and what replaces it. At import time, the same failure on an interpreter
        that lacks the module says that the interpreter removed it, instead of blaming the package.
        """,
        """
        requires-python = ">=3.8"
        import imp                            # removed in 3.12
        """,
        """
        requires-python = ">=3.8"
        import importlib.util                 # or cap it: requires-python = ">=3.8,<3.12"
        """,
    ),
    _entry(
        "MC301",
        E,
        Stage.PROBE,
        "a shipped module raises when imported from the installed wheel",
        """
        The module was imported in a fresh venv where only the wheel and its declared dependencies are
        installed and the checkout is not on `sys.path`; the import raised. The finding shows the
        exception, its message and the raising file and line; the hint points at the root cause finding
        when mcheck has one (a file missing from the wheel, an undeclared dependency, a shadowed module).
        """,
        """
        pkg/app/main.py:  from pkg.email import send   # pkg/email/ was not shipped
        """,
        """
        add pkg/email/__init__.py (see MC101), rebuild, re-run mcheck
        """,
    ),
    _entry(
        "MC302",
        E,
        Stage.PROBE,
        "importing a module did not finish within the timeout",
        """
        Importing the module took longer than `--timeout` seconds (default 30) and was stopped. Import-time
        work that blocks (network calls, waiting on a lock, an infinite loop, reading stdin) makes a service
        hang at start-up and fail its health check. Move the work into a function called at run time.
        """,
        """
        # pkg/settings.py
        CONFIG = requests.get("http://config-service/").json()
        """,
        """
        def load_config():
            return requests.get("http://config-service/").json()
        """,
    ),
    _entry(
        "MC303",
        E,
        Stage.PROBE,
        "importing a module exited or crashed the interpreter",
        """
        The import called `sys.exit()`/`os._exit()` or killed the process with a signal (a segfault in an
        extension, an abort). Any program that imports the module dies with it. The finding gives the exit
        code or the signal.
        """,
        """
        # pkg/cli.py
        import sys
        sys.exit(main())          # runs at import time
        """,
        """
        if __name__ == "__main__":
            sys.exit(main())
        """,
    ),
    _entry(
        "MC304",
        I,
        Stage.PROBE,
        "a module needs an optional extra, another platform or the host's configuration",
        """
        The module could not be imported, but for an expected reason: it needs a dependency that the wheel
        declares only in an optional extra (install `name[extra]` to use it), a test tool, or it is meant for
        another platform (`winreg`, `msvcrt`, an `assert sys.platform == "win32"`). For `mcheck deploy`:
        the service's own module-level code stopped for lack of configuration the host provides
        (`os.environ["TOKEN"]`, "TOKEN is not set in the environment"); mcheck imports the start target
        without the host's variables, so give them with `--env-file` to check the rest. Not an error;
        listed so you can confirm it is intended. Use `--extras` to install extras before probing.
        """,
        """
        # pkg/cli.py (needs the `cli` extra)
        import click
        """,
        """
        [project.optional-dependencies]
        cli = ["click"]          # declared: reported as info only
        """,
    ),
    _entry(
        "MC305",
        W,
        Stage.PROBE,
        "a module imports only after other modules of its package (import order)",
        """
        Imported alone and first, the module failed on a circular import (`cannot import name ... from
        partially initialized module`); imported again after the other modules of its package, as a
        program that uses the package has them, it imports. The wheel is not broken: code that starts
        by importing this module fails the same way, so the message names the module whose import
        loads it in the working order. A warning, never MC301; a module that still fails after its
        package is loaded stays MC301.
        """,
        """
        # pkg/backends/base.py imports pkg.models, which imports pkg.backends.base again
        python -c "import pkg.backends.base"      # ImportError: partially initialized module
        """,
        """
        python -c "import pkg.models, pkg.backends.base"   # the order pkg itself uses
        """,
    ),
    _entry(
        "MC401",
        E,
        Stage.PROBE,
        "a declared entry point does not resolve",
        """
        The wheel declares an entry point (`console_scripts`, `gui_scripts` or a plugin group) whose module
        does not import from the installed wheel, or whose attribute does not exist. The command it
        installs crashes on first use; plugin hosts skip or crash on it.
        """,
        """
        [project.scripts]
        pkg = "pkg.cli:main"      # pkg/cli.py defines run(), not main()
        """,
        """
        [project.scripts]
        pkg = "pkg.cli:run"
        """,
    ),
    _entry(
        "MC402",
        E,
        Stage.PROBE,
        "the ASGI app does not import from the installed wheel",
        """
        The ASGI application the service starts (`uvicorn pkg.app.main:app`) was imported from the
        installed wheel, not from the checkout, and either its module raised or the attribute is missing.
        This is exactly the start-up crash of a deploy: it passes locally because the checkout is on
        `sys.path`.
        """,
        """
        uvicorn pkg.app.main:app     # pkg/app/ is not in the wheel
        """,
        """
        add pkg/app/__init__.py (see MC101), rebuild, re-run mcheck
        """,
    ),
    _entry(
        "MC403",
        E,
        Stage.PROBE,
        "the target is not an ASGI application",
        """
        The object named as the ASGI app is not an ASGI 3 callable `async def app(scope, receive, send)`:
        it is not callable, it is a WSGI app (Flask, Django's `application`) handed to an ASGI server, or it
        is a factory function that the server must be told to call (`uvicorn --factory`).
        """,
        """
        uvicorn pkg.web:create_app           # a factory, started without --factory
        """,
        """
        uvicorn --factory pkg.web:create_app
        """,
    ),
    _entry(
        "MC404",
        E,
        Stage.PROBE,
        "the ASGI lifespan startup failed or timed out",
        """
        The app imported, but its lifespan startup (FastAPI/Starlette `lifespan=` or `on_startup`
        handlers) raised or did not complete within the timeout, so the server never starts accepting
        requests. Apps that do not implement the lifespan protocol are fine, as with uvicorn's
        `lifespan=auto`.
        """,
        """
        @asynccontextmanager
        async def lifespan(app):
            app.state.db = connect(os.environ["DATABASE_URL"])   # KeyError at startup
            yield
        """,
        """
        async def lifespan(app):
            app.state.db = connect(os.environ.get("DATABASE_URL", "sqlite://"))
            yield
        """,
    ),
    _entry(
        "MC405",
        E,
        Stage.PROBE,
        "the health path did not answer 2xx",
        """
        After startup, a real `GET` of the health path (the one the host's health check uses) did not return
        a 2xx status. The host would mark the deploy unhealthy and roll back or crash-loop. The finding shows
        the status and the start of the body.
        """,
        """
        healthcheckPath = "/api/health"      # route is registered as /health
        """,
        """
        @app.get("/api/health")
        def health(): return {"ok": True}
        """,
    ),
    _entry(
        "MC501",
        E,
        Stage.ANALYSE,
        "a module path does not resolve from the service's working directory",
        """
        The start command (or a module its target imports) names a module by a path that only resolves
        from another directory: `uvicorn services.ml.ml_server:app` run with `services/ml` as the service
        root, or `from backend.deps import get_db` run as `cd backend && python main.py`. The file exists,
        but not where Python looks. The hint gives the module path that would resolve.
        """,
        """
        # service root: services/ml
        startCommand = "uvicorn services.ml.ml_server:app"
        """,
        """
        startCommand = "uvicorn ml_server:app"
        """,
    ),
    _entry(
        "MC502",
        E,
        Stage.ANALYSE,
        "a file the service needs is outside its build context",
        """
        The service imports a module, or its build command reads a requirements file, that exists in the
        repository but not in what the host builds: outside the service's root directory, excluded by
        `.dockerignore`, or never copied by the Dockerfile. The container starts without it. The finding
        names the file and the line to add.
        """,
        """
        # Dockerfile
        COPY bot ./bot          # bot/main.py imports mega_sync (mega_sync.py at the root)
        """,
        """
        COPY bot ./bot
        COPY mega_sync.py .
        """,
    ),
    _entry(
        "MC503",
        E,
        Stage.DISCOVER,
        "a deploy config cannot be parsed or names no start command",
        """
        A deploy file (Dockerfile, Procfile, railway.toml/json, render.yaml, fly.toml, nixpacks.toml,
        app.json, ...) is malformed, or none of them names a start command mcheck can resolve to a Python
        server or worker (`uvicorn`, `gunicorn`, `hypercorn`, `granian`, `fastapi run`, `celery -A`,
        `python -m mod`, `python path.py`), directly or through an entrypoint script it runs.
        """,
        """
        [deploy]
        startCommand = uvicorn main:app     # not valid TOML: the string is not quoted
        """,
        """
        [deploy]
        startCommand = "uvicorn main:app --host 0.0.0.0 --port $PORT"
        """,
    ),
    _entry(
        "MC604",
        E,
        Stage.DIFF,
        "the wheel's archive breaks the package index's upload rules",
        """
        The wheel file name does not parse (PEP 427/491), its `WHEEL` file lacks `Wheel-Version`
        (major 1), `Root-Is-Purelib` or `Tag` lines, or its tags disagree with the file name (warehouse
        PR 19411), `entry_points.txt` does not parse or names an entry point badly, or a zip entry is
        named with an absolute path, climbs out of the install directory with `..`, is a symbolic
        link, or appears more than once. Installers disagree on such entries:
        pip refuses to install the wheel ("trying to install outside target directory"), uv skips them,
        and an entry stored twice can install either copy. PyPI rejects such archives at upload
        (https://docs.pypi.org/archives/: duplicate file entries; PEP 427: every file is installed
        relative to site-packages). mcheck neither installs nor imports such a wheel. Rebuild it with
        the build backend instead of writing the zip by hand or patching it.
        """,
        """
        zip dist/pkg-1.0-py3-none-any.whl ../../etc/profile.d/pkg.sh   # an entry outside site-packages
        """,
        """
        python -m build --wheel    # only the backend writes the archive; data files go in .data/
        """,
    ),
    _entry(
        "MC601",
        E,
        Stage.DIFF,
        "the core metadata is something the package index rejects",
        """
        PyPI validates the wheel's `METADATA` (and the sdist's `PKG-INFO`) at upload with
        `packaging.metadata` plus its own rules (warehouse `forklift/metadata.py`): a Metadata-Version
        it supports (1.0-1.2, 2.1-2.5), fields that parse (`Requires-Dist`, `Requires-Python`,
        `License-Expression` as SPDX, `Dynamic` naming only fields that may be dynamic), classifiers
        from the trove-classifiers list and not deprecated, no `Private ::` classifier (it exists to
        make uploads fail), a summary of at most 512 characters, `Project-URL` labels of at most 32,
        URLs that are URLs, no direct references (`dep @ https://...`) in `Requires-Dist`, not both
        `License` and `License-Expression`, and a name and version that agree with the file name.
        mcheck applies the same rules offline and names each field.
        """,
        """
        [project]
        classifiers = ["License :: OSI Approved :: MIT", "Private :: Do Not Upload"]
        dependencies = ["helper @ https://example.com/helper-1.0.tar.gz"]
        """,
        """
        [project]
        classifiers = ["License :: OSI Approved :: MIT License"]
        dependencies = ["helper>=1.0"]
        """,
    ),
    _entry(
        "MC602",
        E,
        Stage.DIFF,
        "the long description will not render on the package index (with --release)",
        """
        The index renders the long description (`readme`) with readme_renderer. For
        reStructuredText (`Description-Content-Type: text/x-rst`, also the default when no content
        type is declared) a markup error fails the upload ("The description failed to render").
        Markdown and plain text always render. mcheck renders it the same way and quotes the error.
        Only reported with `--release`: the wheel itself works (releases uploaded before the index
        enforced this, such as geocoder 1.26.0, have such descriptions).
        """,
        """
        [project]
        readme = "README.rst"      # contains: `unclosed literal
        """,
        """
        [project]
        readme = "README.rst"      # markup fixed; check with: python -m readme_renderer README.rst
        """,
    ),
    _entry(
        "MC603",
        E,
        Stage.DIFF,
        "a license file the metadata names, or the project declares, is not in the wheel",
        """
        With Metadata-Version 2.4 (PEP 639) every `License-File: PATH` of the metadata must be in the
        wheel as `*.dist-info/licenses/PATH`; PyPI rejects the upload otherwise ("License-File ...
        does not exist in distribution file", warehouse `forklift/legacy.py`). The files matched by
        `[project] license-files` in the source tree must be shipped the same way: a glob that matches
        nothing in the build, or a file excluded from the sdist, drops them.
        """,
        """
        [project]
        license-files = ["LICENSES/*.txt"]    # LICENSES/ is excluded from the sdist
        """,
        """
        [project]
        license-files = ["LICENSES/*.txt"]    # and LICENSES/ in the sdist
        """,
    ),
    _entry(
        "MC605",
        E,
        Stage.DIFF,
        "a version the package index refuses (with --release)",
        """
        PyPI refuses local versions (`1.0+abc`, PEP 440): they are for builds that never leave your
        machine, and setuptools-scm produces one for every commit after a tag or a dirty tree. Only
        reported with `--release` (or `[tool.mcheck] release = true`), the profile for the last step
        before the upload.
        """,
        """
        # built from a dirty tree with setuptools-scm
        demo-1.3.dev2+g1a2b3c4.d20261201-py3-none-any.whl
        """,
        """
        git tag v1.3 && git stash    # a clean, tagged checkout builds demo-1.3
        """,
    ),
    _entry(
        "MC606",
        W,
        Stage.DIFF,
        "typing is promised but the wheel ships no py.typed",
        """
        Type checkers use a package's inline types only when the installed package has a `py.typed`
        marker (PEP 561). A `Typing :: Typed` classifier, or a `py.typed` in the source tree, promises
        them; without the marker in the wheel users' type checkers see `Any` everywhere. Backends ship
        `py.typed` only when it is package data (setuptools: `package-data`, or inside the package for
        hatchling, flit, poetry and pdm).
        """,
        """
        src/demo/py.typed            # in the source tree, not in the wheel
        """,
        """
        [tool.setuptools.package-data]
        demo = ["py.typed"]
        """,
    ),
    _entry(
        "MC607",
        I,
        Stage.DIFF,
        "the wheel is for another platform or interpreter",
        """
        The wheel's tags (its file name) match none of the tags this interpreter supports: it is for
        another platform or Python (`cp38-win_amd64`, `macosx_11_0_arm64`). Nothing is wrong with it:
        its contents, metadata and RECORD are checked, but it cannot be installed or imported here.
        Check it on a matching machine (a CI job on that platform, cibuildwheel's test step).
        """,
        """
        mcheck wheel dist/demo-1.0-cp312-cp312-win_amd64.whl      # on Linux
        """,
        """
        # on a Windows runner with Python 3.12
        mcheck wheel dist/demo-1.0-cp312-cp312-win_amd64.whl
        """,
    ),
    _entry(
        "MC608",
        W,
        Stage.DIFF,
        "the index accepts the metadata but twine, the usual upload tool, refuses it",
        """
        `twine check` and `twine upload` (also inside pypa/gh-action-pypi-publish) have refused every
        new Metadata-Version for a while after the index accepted it: 2.2 (pypa/twine#753), 2.3
        (#1059), 2.4 (#1146: "Metadata is missing required fields: Name, Version") and 2.5 (#1327,
        twine 6.2.0: "'2.5' is not a valid metadata version"; hatchling 1.32 writes 2.5). The
        release is then not uploaded, although the index would accept it. mcheck warns when the
        wheel's Metadata-Version is newer than twine 6.2 reads; upgrade twine, or pin the backend.
        Only reported with `--release`: it concerns the upload step alone.
        """,
        """
        Metadata-Version: 2.5        # written by hatchling 1.32; twine 6.2 cannot read it
        """,
        """
        pip install -U twine pkginfo    # or upload with `uv publish`
        """,
    ),
    _entry(
        "MC609",
        W,
        Stage.DIFF,
        "the index accepts the sdist's file name but it is not normalised (with --release)",
        """
        PEP 625 names an sdist `{normalised_name}-{version}.tar.gz`: the project name lower-cased
        with runs of `-_.` turned into one `_`. setuptools before 69.3 writes the name as declared
        (`Django-5.1.4.tar.gz`, `my.pkg-1.0.tar.gz`). The index still accepts such uploads and emails
        the maintainers a deprecation warning (pypi/warehouse#12245 tracks rejecting them), and
        tools that look the file up by its normalised name do not find it. Only reported with
        `--release`: it concerns the upload alone.
        """,
        """
        [build-system]
        requires = ["setuptools<69.3"]      # writes My_Pkg-1.0.tar.gz for name = "My_Pkg"
        """,
        """
        [build-system]
        requires = ["setuptools>=69.3"]     # writes my_pkg-1.0.tar.gz
        """,
    ),
    _entry(
        "MC701",
        E,
        Stage.TEST,
        "a test passes on the checkout and fails against the installed wheel",
        """
        With `--tests`, mcheck runs the project's own tests twice in the same fresh venv: once against
        the installed wheel (the tests copied out of the checkout, nothing of the source tree on
        `sys.path`) and once against the checkout (the source on `sys.path`, as
        a developer runs them). A test that passes on the checkout and fails against the wheel fails
        because of packaging: a template, data file or module the source tree has and the wheel does
        not ship, read at call time, where importing every module cannot see it. The hint names the
        root cause when mcheck knows it (MC101/MC102 for the file in the traceback, MC202 for the
        missing module). With `--tests=wheel-only` the checkout run is skipped and every failing test
        is reported here, unjudged.
        """,
        """
        # src/pkg/render.py reads pkg/templates/page.html when called;
        # [tool.setuptools] package-data does not include templates/*.html
        def test_page(): assert "<h1>" in render.page()
        """,
        """
        [tool.setuptools.package-data]
        pkg = ["templates/*.html"]
        """,
    ),
    _entry(
        "MC702",
        W,
        Stage.TEST,
        "a test fails on the checkout too: a bug in the code or the test, not in the packaging",
        """
        The test fails against the installed wheel and also with the source tree on `sys.path`, so the
        wheel is not what breaks it. mcheck reports it so that the gate is honest about what it ran:
        a release whose tests fail anyway should not pass as tested. Also for a test file that cannot
        be collected on either side.
        """,
        """
        def test_total(): assert total([1, 2]) == 4     # total() returns 3
        """,
        """
        def test_total(): assert total([1, 2]) == 3
        """,
    ),
    _entry(
        "MC703",
        E,
        Stage.TEST,
        "a test file cannot be collected against the wheel but can on the checkout",
        """
        Importing the test module fails against the installed wheel: it imports a module or
        sub-package the wheel does not ship (a directory without `__init__.py`, a package left out of
        `packages`), which the checkout has. Every test in the file went unrun against the wheel. The
        hint names the missing module and its root cause when known (MC101).
        """,
        """
        # tests/test_plugins.py
        from pkg.plugins import load      # pkg/plugins/ has no __init__.py: not in the wheel
        """,
        """
        touch src/pkg/plugins/__init__.py
        """,
    ),
]

CATALOGUE: dict[str, CodeInfo] = {
    entry.code: entry for entry in sorted(_ENTRIES, key=lambda e: e.code)
}

# The codes whose findings can carry a mechanical fix (``--fix``/``--diff``), and when: `mcheck explain`
# and docs/codes.md say it; tests check that no other code's finding ever carries one.
AUTOMATIC_FIXES: dict[str, str] = {
    "MC101": "adds the missing `__init__.py` (setuptools `find_packages()` / `namespaces = false`), or "
    "the sub-package to an explicit package list: `[tool.setuptools] packages` in pyproject.toml, "
    "`[options] packages` in setup.cfg, a literal `setup(packages=[...])` in setup.py; for "
    "hatchling without a file selection, "
    "`[tool.hatch.build.targets.wheel] packages` naming the package its name-based guess missed",
    "MC102": "declares the data file as package data with a glob of its directory and suffix: "
    "`[tool.setuptools.package-data]` (pyproject.toml), `[options.package_data]` (setup.cfg), "
    "`setup(package_data=...)` (a literal setup.py "
    "call), a `recursive-include` in MANIFEST.in (setup.py with `include_package_data=True`); "
    'poetry-core\'s `include` gets `format = ["sdist", "wheel"]`; a data directory of an unlisted '
    "package gets the package too",
    "MC107": "ships the root module or package the code imports, in the backend's package "
    "selection: setuptools `py-modules`/`packages`/`packages.find` `include` (or a literal "
    "`setup(py_modules=[...])`), hatchling's wheel `packages` or `force-include`, poetry's `packages`",
    "MC201": "sets the literal `__version__` in the package's `__init__.py` to the static project "
    "version, or, where the version is computed at build time, reads it with "
    "`importlib.metadata.version(...)`",
    "MC202": "adds the distribution that provides the module, with the version the proving run "
    "installed as its lower bound, to `[project] dependencies`, `[tool.poetry.dependencies]`, "
    "`[tool.flit.metadata] requires`, `[options] install_requires` (setup.cfg) or a literal "
    "`setup(install_requires=[...])`; for `mcheck "
    "deploy`, to the service's one requirements file",
    "MC501": "`mcheck deploy`: renames the module in the start command (its line in the Procfile, "
    "railway.toml, Dockerfile `CMD` or compose file) to the name it has in the container",
    "MC405": "`mcheck deploy`: sets the host's health check path (railway.toml, render.yaml, fly.toml) "
    "to the app's one health-named GET route, when the configured path answered 404",
    "MC502": "`mcheck deploy`: adds the `COPY` line that puts the module where the start command's "
    "first sys.path entry finds it (after the final stage's last COPY), or deletes the "
    "`.dockerignore` rule that excludes it",
    "MC606": "adds an empty `py.typed` to each top-level package (the `Typing :: Typed` classifier "
    "promises one), or declares the one the source tree has as package data",
}

# Findings that explain a failure found later (an import, an entry point, an app): the one table the
# checks that link a failure to its cause read, so a cause linked in one place is linked everywhere.
ROOT_CAUSE_CODES = ("MC101", "MC103", "MC107", "MC109", "MC202", "MC204", "MC205", "MC206")


def codes_matching(selector: str) -> list[str]:
    """Codes selected by a code (``MC101``) or a prefix (``MC1``, ``MC``)."""
    return [code for code in CATALOGUE if code.startswith(selector.upper())]
