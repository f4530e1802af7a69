"""The edits fixes are made of, shape by shape: each changes exactly what it fixes, in the layout the
file already has, and leaves every other byte alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mcheck.findings import Fix
from mcheck.fix import setup_cfg, setup_py
from mcheck.fix.declare import declare_dependency
from mcheck.fix.dockerfile import add_copy
from mcheck.fix.edits import (
    append_line,
    remove_line,
    replace_health_path,
    replace_module_on_line,
    toml_array_replace,
)
from mcheck.fix.package_selection import ship_first_party
from mcheck.fix.version_attribute import derive_version, set_literal_version
from mcheck.wheel.discover import discover_project


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- setup.py ---------------------------------------------------------------------------------------

ONE_PER_LINE = dedent("""
    from setuptools import setup

    setup(
        name='shop',
        packages=[
            'shop',
        ],
    )
    """)


def test_a_package_joins_a_one_per_line_list_on_its_own_line_with_the_files_quotes():
    assert setup_py.append_to_list("packages", "shop.payments").change(ONE_PER_LINE) == dedent("""
        from setuptools import setup

        setup(
            name='shop',
            packages=[
                'shop',
                'shop.payments',
            ],
        )
        """)


def test_a_package_joins_an_inline_list_inline():
    text = 'from setuptools import setup\nsetup(name="x", packages=["x"])\n'
    assert setup_py.append_to_list("packages", "x.sub").change(text) == (
        'from setuptools import setup\nsetup(name="x", packages=["x", "x.sub"])\n'
    )


def test_an_item_already_listed_changes_nothing():
    assert setup_py.append_to_list("packages", "shop").change(ONE_PER_LINE) == ONE_PER_LINE


def test_package_data_is_added_as_a_keyword_then_as_an_entry_then_as_a_glob():
    step1 = setup_py.add_package_data("shop", "templates/*.txt").change(ONE_PER_LINE)
    assert "    package_data={'shop': ['templates/*.txt']},\n)" in step1
    step2 = setup_py.add_package_data("shop", "static/*.css").change(step1)
    assert "package_data={'shop': ['templates/*.txt', 'static/*.css']}," in step2
    step3 = setup_py.add_package_data("shop.api", "*.json").change(step2)
    assert "'shop': ['templates/*.txt', 'static/*.css'], 'shop.api': ['*.json']}" in step3
    compile(step3, "setup.py", "exec")


@pytest.mark.parametrize(
    "text",
    [
        "from setuptools import setup, find_packages\nsetup(packages=find_packages())\n",
        "from setuptools import setup\nPKGS = ['a']\nsetup(packages=PKGS)\n",
        "import setuptools\nsetuptools.setup(packages=['a'])\nsetuptools.setup(packages=['b'])\n",
    ],
    ids=["computed", "a variable", "two setup calls"],
)
def test_a_list_that_is_not_one_literal_of_one_setup_call_is_not_edited(text):
    assert not setup_py.can_append_to_list(text, "packages")
    with pytest.raises(ValueError):
        setup_py.append_to_list("packages", "a.sub").change(text)


def test_include_package_data_is_read_from_the_literal_keyword():
    assert setup_py.includes_package_data(
        "from setuptools import setup\nsetup(include_package_data=True)\n"
    )
    assert not setup_py.includes_package_data("from setuptools import setup\nsetup(name='x')\n")


# --- MANIFEST.in and TOML ---------------------------------------------------------------------------


def test_a_manifest_line_is_appended_once_and_a_missing_final_newline_is_supplied():
    edit = append_line("MANIFEST.in", "recursive-include shop/templates *.txt")
    once = edit.change("include README.md")
    assert once == "include README.md\nrecursive-include shop/templates *.txt\n"
    assert edit.change(once) == once
    assert edit.change(None) == "recursive-include shop/templates *.txt\n"


def test_an_include_string_becomes_an_inline_table_in_place_keeping_comments():
    text = dedent("""
        [tool.poetry]
        # shipped next to the package
        include = ["base_config.json", "CHANGELOG.md"]  # keep
        """)
    edit = toml_array_replace(
        "pyproject.toml",
        ("tool", "poetry", "include"),
        "base_config.json",
        {"path": "base_config.json", "format": ["sdist", "wheel"]},
    )
    assert edit.change(text) == dedent("""
        [tool.poetry]
        # shipped next to the package
        include = [{path = "base_config.json", format = ["sdist", "wheel"]}, "CHANGELOG.md"]  # keep
        """)


# --- __version__ ------------------------------------------------------------------------------------

INIT = '"""pkg."""\n\nfrom .core import run\n\n__version__ = \'1.9.0\'  # bumped by hand\n'


def test_a_literal_version_is_set_in_its_own_quotes():
    assert set_literal_version("pkg/__init__.py", "2.0.0").change(INIT) == INIT.replace(
        "'1.9.0'", "'2.0.0'"
    )


def test_a_computed_version_is_read_from_the_installed_metadata():
    assert derive_version("pkg/__init__.py", "my-dist").change(INIT) == (
        '"""pkg."""\n\nfrom .core import run\n\nimport importlib.metadata\n'
        "__version__ = importlib.metadata.version('my-dist')  # bumped by hand\n"
    )


def test_a_version_imported_from_elsewhere_is_not_edited():
    with pytest.raises(ValueError):
        set_literal_version("pkg/__init__.py", "2.0").change("from ._version import __version__\n")


# --- declaring a dependency, per backend ------------------------------------------------------------


def project_with(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(dedent(text))
    return discover_project(tmp_path)


def declared(tmp_path: Path, files: dict[str, str], installed: dict[str, str]) -> tuple[str, str]:
    """(description, the declaring file's new text) of the fix declaring ``attrs``, refined by what
    the proving run ``installed``."""
    fix = declare_dependency(project_with(tmp_path, files), "attrs")
    assert fix is not None
    return applied(tmp_path, fix.refined(installed))


def applied(root: Path, fix: Fix) -> tuple[str, str]:
    """(description, the one edited file's new text) of a one-edit fix."""
    [edit] = fix.edits
    return fix.description, edit.change((root / edit.path).read_text())


PEP621 = """
    [build-system]
    requires = ["setuptools>=68"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "p"
    version = "1"
    dependencies = ["click>=8"]
    """


def test_a_pep621_dependency_gets_the_proven_version_as_its_lower_bound(tmp_path):
    description, text = declared(tmp_path, {"pyproject.toml": PEP621}, {"attrs": "26.1.0"})
    assert description == 'add "attrs>=26.1.0" to [project] dependencies'
    assert 'dependencies = ["click>=8", "attrs>=26.1.0"]' in text


def test_without_a_proven_version_the_bare_name_is_declared(tmp_path):
    description, text = declared(tmp_path, {"pyproject.toml": PEP621}, {})
    assert description == 'add "attrs" to [project] dependencies'
    assert 'dependencies = ["click>=8", "attrs"]' in text


def test_a_poetry_dependency_is_a_key_of_its_table(tmp_path):
    poetry = """
        [build-system]
        requires = ["poetry-core>=1"]
        build-backend = "poetry.core.masonry.api"

        [tool.poetry]
        name = "p"
        version = "1"

        [tool.poetry.dependencies]
        python = "^3.9"
        """
    description, text = declared(tmp_path, {"pyproject.toml": poetry}, {"attrs": "26.1.0"})
    assert description == 'add "attrs>=26.1.0" to [tool.poetry.dependencies]'
    assert text.endswith('python = "^3.9"\nattrs = ">=26.1.0"\n')


def test_a_flit_metadata_dependency_joins_requires(tmp_path):
    flit = """
        [build-system]
        requires = ["flit_core>=3.2"]
        build-backend = "flit_core.buildapi"

        [tool.flit.metadata]
        module = "p"
        requires = ["toml"]
        """
    description, text = declared(tmp_path, {"pyproject.toml": flit}, {"attrs": "26.1.0"})
    assert description == 'add "attrs>=26.1.0" to [tool.flit.metadata] requires'
    assert 'requires = ["toml", "attrs>=26.1.0"]' in text


def test_a_setup_py_dependency_joins_install_requires(tmp_path):
    files = {
        "setup.py": """
            from setuptools import setup
            setup(name="p", install_requires=["click"])
            """
    }
    description, text = declared(tmp_path, files, {"attrs": "26.1.0"})
    assert description == 'add "attrs>=26.1.0" to setup(install_requires=[...]) in setup.py'
    assert 'install_requires=["click", "attrs>=26.1.0"]' in text


def test_dynamic_dependencies_get_no_fix(tmp_path):
    dynamic = PEP621.replace('dependencies = ["click>=8"]', 'dynamic = ["dependencies"]')
    assert declare_dependency(project_with(tmp_path, {"pyproject.toml": dynamic}), "attrs") is None


# --- deploy files -----------------------------------------------------------------------------------

MULTI_STAGE = dedent("""
    FROM python:3.12 AS build
    COPY . /src
    RUN pip wheel /src

    FROM python:3.12-slim
    WORKDIR /app
    COPY --from=build /wheels /wheels
    RUN pip install /wheels/*.whl \\
        && rm -rf /wheels
    COPY bot ./bot
    # start the bot
    CMD ["python", "-m", "bot.main"]
    """)


def test_a_copy_line_goes_after_the_final_stages_last_copy_and_nowhere_else():
    fixed = add_copy("Dockerfile", "mega_sync.py", "./").change(MULTI_STAGE)
    assert fixed == MULTI_STAGE.replace(
        "COPY bot ./bot\n", "COPY bot ./bot\nCOPY mega_sync.py ./\n"
    )
    assert add_copy("Dockerfile", "mega_sync.py", "./").change(fixed) == fixed


def test_without_a_copy_in_the_final_stage_the_line_goes_after_its_workdir():
    text = "FROM python:3.12-slim\nWORKDIR /app\nRUN pip install \\\n  flask\nCMD x\n"
    assert add_copy("Dockerfile", "app.py", "./").change(text) == (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY app.py ./\nRUN pip install \\\n  flask\nCMD x\n"
    )


def test_an_ignore_rule_is_removed_only_where_it_still_is():
    text = ".git\nhelpers\n.venv/\n"
    assert remove_line(".dockerignore", 2, "helpers").change(text) == ".git\n.venv/\n"
    assert remove_line(".dockerignore", 2, "helpers").change(".git\n.venv/\n") == ".git\n.venv/\n"


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        (
            'CMD ["gunicorn", "-b", "0.0.0.0:80", "src.shop.wsgi:application"]\n',
            'CMD ["gunicorn", "-b", "0.0.0.0:80", "shop.wsgi:application"]\n',
        ),
        (
            "web: uvicorn src.shop.wsgi:app --port $PORT\n",
            "web: uvicorn shop.wsgi:app --port $PORT\n",
        ),
        ("command: python -m src.shop.wsgi\n", "command: python -m shop.wsgi\n"),
    ],
    ids=["Dockerfile CMD", "Procfile", "compose"],
)
def test_the_start_module_is_renamed_as_a_whole_token(line, fixed):
    assert replace_module_on_line("f", 1, "src.shop.wsgi", "shop.wsgi").change(line) == fixed


def test_a_module_name_inside_a_longer_name_or_twice_on_the_line_is_left_alone():
    edit = replace_module_on_line("f", 1, "shop.wsgi", "app.wsgi")
    assert edit.change("web: gunicorn myshop.wsgi:app\n") == "web: gunicorn myshop.wsgi:app\n"
    twice = "web: gunicorn shop.wsgi:app --check shop.wsgi\n"
    assert edit.change(twice) == twice


# --- shipping a first-party module the package selection leaves out (MC107) ------------------------


def shipped(tmp_path: Path, files: dict[str, str], location: str) -> tuple[str, str] | None:
    fix = ship_first_party(project_with(tmp_path, files), location)
    return None if fix is None else applied(tmp_path, fix)


HATCH = """
    [build-system]
    requires = ["hatchling"]
    build-backend = "hatchling.build"

    [project]
    name = "p"
    version = "1"

    [tool.hatch.build.targets.wheel]
    packages = ["src/p"]
    """


def test_hatchling_force_includes_a_root_module(tmp_path):
    description, text = shipped(tmp_path, {"pyproject.toml": HATCH}, "helpers.py")
    assert description == 'force-include "helpers.py" in the hatch wheel target'
    assert text.endswith(
        '[tool.hatch.build.targets.wheel.force-include]\n"helpers.py" = "helpers.py"\n'
    )


def test_hatchling_lists_a_root_package_next_to_the_others(tmp_path):
    description, text = shipped(tmp_path, {"pyproject.toml": HATCH}, "common/")
    assert description == 'add "common" to [tool.hatch.build.targets.wheel] packages'
    assert 'packages = ["src/p", "common"]' in text


def test_poetry_gets_an_include_entry(tmp_path):
    poetry = """
        [tool.poetry]
        name = "p"
        version = "1"
        packages = [{ include = "p" }]

        [build-system]
        requires = ["poetry-core>=1"]
        build-backend = "poetry.core.masonry.api"
        """
    description, text = shipped(tmp_path, {"pyproject.toml": poetry}, "helpers.py")
    assert description == 'add { include = "helpers.py" } to [tool.poetry] packages'
    assert 'packages = [{ include = "p" }, {include = "helpers.py"}]' in text


def test_a_setup_py_module_joins_a_literal_py_modules(tmp_path):
    files = {"setup.py": "from setuptools import setup\nsetup(name='p', py_modules=['p'])\n"}
    description, text = shipped(tmp_path, files, "helpers.py")
    assert description == "add 'helpers' to setup(py_modules=[...]) in setup.py"
    assert "py_modules=['p', 'helpers']" in text


def test_a_package_joins_a_find_include_with_its_subpackages(tmp_path):
    files = {"pyproject.toml": PEP621 + '\n[tool.setuptools.packages.find]\ninclude = ["p*"]\n'}
    description, text = shipped(tmp_path, files, "common/")
    assert description == 'add "common", "common.*" to [tool.setuptools.packages.find] include'
    assert 'include = ["p*", "common", "common.*"]' in text


def test_setuptools_auto_discovery_is_not_switched_off_by_a_fix(tmp_path):
    assert shipped(tmp_path, {"pyproject.toml": PEP621}, "helpers.py") is None


def test_a_module_below_a_directory_is_left_to_the_user(tmp_path):
    assert shipped(tmp_path, {"pyproject.toml": HATCH}, "scripts/helpers.py") is None


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ('[deploy]\nhealthcheckPath = "/health"\n', '[deploy]\nhealthcheckPath = "/healthz"\n'),
        ("  healthCheckPath: /health\n", "  healthCheckPath: /healthz\n"),
        (
            '[[http_service.checks]]\n  path = "/health"\n',
            '[[http_service.checks]]\n  path = "/healthz"\n',
        ),
        (
            '    test: ["CMD", "curl", "-f", "http://localhost:8000/health"]\n',
            '    test: ["CMD", "curl", "-f", "http://localhost:8000/healthz"]\n',
        ),
    ],
    ids=["railway.toml", "render.yaml", "fly.toml", "compose healthcheck"],
)
def test_the_health_path_is_replaced_where_the_file_declares_it(text, fixed):
    assert replace_health_path("f", "/health", "/healthz").change(text) == fixed


def test_a_health_path_on_two_lines_or_inside_a_longer_path_is_left_alone():
    edit = replace_health_path("f", "/health", "/healthz")
    two = 'healthcheckPath = "/health"\n# probe path = "/health"\n'
    assert edit.change(two) == two
    longer = 'healthcheckPath = "/health/live"\n'
    assert edit.change(longer) == longer


# --- setup.cfg ---------------------------------------------------------------------------------------

CFG = dedent("""
    [metadata]
    name = p

    [options]
    # by hand
    packages =
        p
    install_requires = click; rich
    zip_safe = False
    """)


def test_a_setup_cfg_list_grows_in_its_own_shape_and_keeps_comments():
    multi = setup_cfg.append_item("packages", "p.sub").change(CFG)
    assert "# by hand\npackages =\n    p\n    p.sub\ninstall_requires" in multi
    single = setup_cfg.append_item("install_requires", "attrs>=26.1.0").change(multi)
    assert "install_requires = click; rich; attrs>=26.1.0\n" in single
    assert setup_cfg.append_item("packages", "p").change(CFG) == CFG


def test_package_data_gets_its_own_section_after_a_blank_line():
    fixed = setup_cfg.append_item("p", "data/*.json", setup_cfg.PACKAGE_DATA).change(CFG)
    assert fixed == CFG + "\n[options.package_data]\np = data/*.json\n"
    again = setup_cfg.append_item("p", "tpl/*.html", setup_cfg.PACKAGE_DATA).change(fixed)
    assert again.endswith("p = data/*.json, tpl/*.html\n")


def test_computed_setup_cfg_values_are_not_lists():
    text = "[options]\npackages = find:\ninstall_requires = file: requirements.txt\n"
    assert setup_cfg.list_option(text, "packages") is None
    assert setup_cfg.list_option(text, "install_requires") is None
    assert setup_cfg.list_option(CFG, "packages") == ["p"]
    assert setup_cfg.list_option(CFG, "py_modules") == []


def test_a_setup_cfg_dependency_joins_install_requires(tmp_path):
    files = {"setup.cfg": CFG, "setup.py": "from setuptools import setup\nsetup()\n"}
    description, text = declared(tmp_path, files, {"attrs": "26.1.0"})
    assert description == 'add "attrs>=26.1.0" to [options] install_requires in setup.cfg'
    assert "install_requires = click; rich; attrs>=26.1.0\n" in text
