"""Conventions of the ecosystem: how test and tool code, optional integrations and junk files are named.

Data only, no decisions: the checks in :mod:`mcheck.checks` decide what a match means.
"""

from __future__ import annotations

import re

# Module-name keywords of developer tooling -> the tools such a module may need without them being
# runtime dependencies (a `pkg.testing` helper needs pytest, `pkg.mypy` is a mypy plugin).
# Leading underscores are allowed: `pkg._tests`, `pkg._core._tests.test_x` are as much test code.
TEST_MODULE = re.compile(
    r"^_*(tests?|testing|conftest|test_\w+|\w+_tests?|pytest_?plugin|fixtures)$"
    r"|^_*benchmarks?$"  # a benchmark suite (jsonschema.benchmarks needs pyperf): dev tooling too
    r"|^_+tools$"
)  # a private `_tools` package: code generators, release scripts
TEST_TOOLS = frozenset({"pytest", "_pytest", "hypothesis", "nose", "nose2", "tox", "nox", "py"})
TOOL_PLUGINS: dict[str, frozenset[str]] = {
    "pytest": frozenset({"pytest", "_pytest"}),
    "hypothesis": frozenset({"hypothesis"}),
    "mypy": frozenset({"mypy"}),
    "sphinx": frozenset({"sphinx", "docutils"}),
    "pylint": frozenset({"pylint", "astroid"}),
    "flake8": frozenset({"flake8"}),
    "setuptools": frozenset({"setuptools", "distutils", "pkg_resources"}),
    "distutils": frozenset({"setuptools", "distutils"}),
    # a gunicorn worker class (aiohttp.worker): gunicorn loads it with `-k`, so gunicorn is there
    "worker": frozenset({"gunicorn"}),
}
# Sub-packages that by convention hold optional integrations with other projects.
INTEGRATION_PACKAGES = frozenset(
    {
        "integrations",
        "integration",
        "contrib",
        "ext",
        "extensions",
        "plugins",
        "backends",
        "adapters",
    }
)
# Directories that hold third-party code copied into a package as it is (pip's `_vendor`,
# setuptools' `_vendor` and `extern`), owned by their upstreams and often trimmed to the parts the
# package uses. Some projects import their sub-packages by their own top-level name after putting
# the directory on sys.path (`poetry/core/_vendor/lark` is imported as `lark`).
VENDOR_DIRS = frozenset({"_vendor", "vendor", "_vendored", "vendored", "extern", "_extern"})
# Exceptions a framework raises when a module is imported outside a configured application.
NEEDS_CONFIGURATION = {
    "django.core.exceptions.ImproperlyConfigured": "a configured Django project (DJANGO_SETTINGS_MODULE)",
    "django.core.exceptions.AppRegistryNotReady": "a configured Django project (django.setup())",
}
# Never expected in a wheel, so never "missing" from one.
JUNK_NAMES = frozenset(
    {".DS_Store", "Thumbs.db", ".gitignore", ".gitattributes", ".gitkeep", "desktop.ini"}
)
JUNK_DIRS = frozenset(
    {"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
)
JUNK_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", ".swo", "~", ".bak")
# Sources compiled into extensions: shipping them is optional, not shipping them is not a defect.
COMPILED_SOURCE_SUFFIXES = (
    ".c",
    ".cc",
    ".cpp",
    ".cxx",
    ".h",
    ".hpp",
    ".pyx",
    ".pxd",
    ".pxi",
    ".rs",
    ".f90",
)
# Top-level directories of a source tree that are not the product: never expected in the wheel.
NOT_SHIPPED_TOP_LEVEL = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "examples",
        "example",
        "benchmarks",
        "bench",
        "scripts",
        "tools",
        "build",
        "dist",
        "ci",
        "samples",
        "demo",
        "demos",
        "notebooks",
        "tutorials",
        "site-packages",
        "src",
        "typings",
        "stubs",
    }
)

# Top-level names too generic for a wheel to install into site-packages: another distribution ships
# the same name and one overwrites the other (MC105).
GENERIC_TOP_LEVEL = frozenset(
    {
        "tests",
        "test",
        "testing",
        "docs",
        "doc",
        "src",
        "lib",
        "build",
        "dist",
        "examples",
        "example",
        "benchmarks",
        "bench",
        "scripts",
        "tools",
        "site-packages",
    }
)

# Files that describe every service of a repository and sit at its root: without a `.git` (a tarball, a
# CI cache, an exported tree) the nearest directory above a service holding one is the repository root.
REPOSITORY_ROOT_FILES = (
    "render.yaml",
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)

# Container images whose tag names the Python they run: the official `python:3.12-slim`, uv's
# `ghcr.io/astral-sh/uv:python3.12-bookworm`, and the like. Group 1 is the version.
PYTHON_IMAGE_TAGS = (
    r"^(?:docker\.io/)?(?:library/)?python:(3\.\d+)",
    r":python(3\.\d+)",
    r"/python(3\.\d+)[:-]",
)
# Platform settings that name the service's Python: (file, keys to the value).
PYTHON_VERSION_SETTINGS = (
    ("railpack.json", ("packages", "python")),
    ("nixpacks.toml", ("variables", "NIXPACKS_PYTHON_VERSION")),
)
# Files a platform reads the service's Python version from, and how the version is written there.
PYTHON_VERSION_FILES = (
    (".python-version", r"^\s*(3\.\d+)"),
    ("runtime.txt", r"^\s*python-(3\.\d+)"),
)

# --- a project's own test suite (``mcheck wheel --tests``) ---------------------------------------
# Where tests live when neither `tests-path` nor pytest's `testpaths` says: the first that exists.
TEST_DIRECTORIES = ("tests", "test", "testing")
# What the tests need, by the names projects give it, in the order mcheck looks: PEP 735 dependency
# groups, then extras, then poetry groups, then requirements files (relative to the project root).
TEST_DEPENDENCY_NAMES = ("test", "tests", "testing", "dev")
TEST_REQUIREMENTS_FILES = (
    "requirements-test.txt",
    "requirements-tests.txt",
    "requirements_test.txt",
    "test-requirements.txt",
    "test_requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "tests/requirements.txt",
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements/dev.txt",
)
# The pytest configuration files, in the order pytest itself prefers them in one directory, with
# the section each holds its settings in (pyproject.toml: a table, see PYTEST_PYPROJECT_TABLES).
PYTEST_CONFIG_FILES = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", ""),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)
PYTEST_PYPROJECT_TABLES = (("tool", "pytest", "ini_options"), ("tool", "pytest"))
# Settings of the project's pytest configuration that point at the checkout: the copy of the tests
# that runs against the wheel drops them (mcheck passes the test paths itself).
PYTEST_CHECKOUT_SETTINGS = frozenset({"pythonpath", "testpaths", "rootdir"})

# The last path segment of the routes services conventionally answer health checks on: when the
# configured health path answers 404, the one route of the app with such a name is the one meant.
HEALTH_ROUTE_NAMES = frozenset(
    {
        "health",
        "healthz",
        "healthcheck",
        "health-check",
        "health_check",
        "_health",
        "ping",
        "status",
        "ready",
        "readyz",
        "livez",
        "alive",
        "liveness",
        "readiness",
        "up",
    }
)
