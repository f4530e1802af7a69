"""Shipping a module or package the backend's package selection leaves out (MC107), per backend.

The edit adds the module to the setting that selects what the wheel holds, in the form that
backend documents: setuptools ``py-modules`` / ``packages`` / ``packages.find.include``, a literal
``setup(py_modules=[...], packages=[...])``, hatchling's wheel ``packages`` or ``force-include``,
poetry's ``packages``. Where the selection is computed or implicit, there is no edit: turning an
implicit selection into an explicit one changes what else ships, which is not this fix's to decide.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from mcheck.findings import Fix
from mcheck.fix import setup_cfg, setup_py
from mcheck.fix.edits import toml_array_append, toml_table_set
from mcheck.wheel.discover import Project

PYPROJECT = "pyproject.toml"


def ship_first_party(project: Project, location: str) -> Fix | None:
    """The fix that puts ``location`` (``helpers.py``, ``common/``) in the wheel, or None."""
    module = location.endswith(".py")
    name = PurePosixPath(location.rstrip("/")).name.removesuffix(".py")
    if "/" in location.rstrip("/"):
        return None  # below a directory: moving it is the user's call
    family = project.backend_family
    if family == "setuptools":
        return _setuptools(project, name, module)
    tool = project.pyproject.get("tool", {})
    if family == "hatchling":
        wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
        if module:
            keys = ("tool", "hatch", "build", "targets", "wheel", "force-include", location)
            edit = toml_table_set(PYPROJECT, keys, location)
            return Fix(f'force-include "{location}" in the hatch wheel target', (edit,))
        if isinstance(wheel.get("packages"), list):
            keys = ("tool", "hatch", "build", "targets", "wheel", "packages")
            edit = toml_array_append(PYPROJECT, keys, [name])
            return Fix(f'add "{name}" to [tool.hatch.build.targets.wheel] packages', (edit,))
        return None
    if family == "poetry-core" and isinstance(tool.get("poetry", {}).get("packages"), list):
        include = f"{name}.py" if module else name
        edit = toml_array_append(PYPROJECT, ("tool", "poetry", "packages"), [{"include": include}])
        return Fix(f'add {{ include = "{include}" }} to [tool.poetry] packages', (edit,))
    return None


def _setuptools(project: Project, name: str, module: bool) -> Fix | None:
    if "project" in project.pyproject:  # configured in pyproject.toml
        return _setuptools_pyproject(project.setuptools_config, name, module)
    text = setup_py.read_setup_py(project.root) if project.has_setup_py else ""
    keyword = "py_modules" if module else "packages"
    if text and setup_py.can_append_to_list(text, keyword):
        edit = setup_py.append_to_list(keyword, name)
        return Fix(f"add '{name}' to setup({keyword}=[...]) in setup.py", (edit,))
    cfg = setup_cfg.read_setup_cfg(project.root)
    if cfg is None or setup_py.setup_keyword(text, keyword) not in (None, False):
        return None  # no setup.cfg, or setup.py passes the setting itself
    if module:
        # py_modules next to an explicit packages setting (find: included): discovery is off anyway
        if not setup_cfg.has_option(cfg, "packages") or setup_cfg.list_option(cfg, keyword) is None:
            return None
    elif not setup_cfg.list_option(cfg, "packages"):
        return None  # found by `find:`: its include/exclude settings decide, not a list
    edit = setup_cfg.append_item(keyword, name)
    return Fix(f"add '{name}' to [options] {keyword} in setup.cfg", (edit,))


def _setuptools_pyproject(config: dict, name: str, module: bool) -> Fix | None:
    packages = config.get("packages")
    if module:
        if "packages" not in config and "py-modules" not in config:
            return None  # auto-discovery: a py-modules list would switch it off for packages
        edit = toml_array_append(PYPROJECT, ("tool", "setuptools", "py-modules"), [name])
        return Fix(f'add "{name}" to [tool.setuptools] py-modules', (edit,))
    if isinstance(packages, list):
        edit = toml_array_append(PYPROJECT, ("tool", "setuptools", "packages"), [name])
        return Fix(f'add "{name}" to [tool.setuptools] packages', (edit,))
    find = packages.get("find") if isinstance(packages, dict) else None
    if isinstance(find, dict) and isinstance(find.get("include"), list):
        keys = ("tool", "setuptools", "packages", "find", "include")
        edit = toml_array_append(PYPROJECT, keys, [name, f"{name}.*"])
        return Fix(f'add "{name}", "{name}.*" to [tool.setuptools.packages.find] include', (edit,))
    return None
