"""The house rules of the source tree, checked over ``src/`` with ``ast``: arrows between rooms flow one
way (no import cycle), the probe scripts stay stdlib-only, and the ecosystem tables live in one room."""

from __future__ import annotations

import ast
import graphlib
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "mcheck"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> set[str]:
    """mcheck modules imported when ``path`` is imported (not those imported lazily inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mcheck"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mcheck"))
    return found


def _graph() -> dict[str, set[str]]:
    """Module -> the mcheck modules importing it runs, packages included: importing ``a.b.c`` runs
    ``a/__init__`` and ``a/b/__init__`` first, so a package's eager re-exports count."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported = {i for i in _top_level_imports(path) if i in modules}
        imported |= {parent for i in imported for parent in _parents(i) if parent in modules}
        graph[name] = {i for i in imported if i != name and not name.startswith(f"{i}.")}
    return graph


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def test_no_import_cycle_between_modules():
    graphlib.TopologicalSorter(_graph()).prepare()  # raises CycleError naming the cycle


def test_reporters_depend_only_on_the_model():
    allowed_prefixes = ("mcheck.reporters", "mcheck.findings", "mcheck.catalogue", "mcheck.explain")
    for module, imports in _graph().items():
        if module.startswith("mcheck.reporters"):
            # `import mcheck` is for `mcheck.__version__` only: the package's __init__ imports lazily.
            assert all(i == "mcheck" or i.startswith(allowed_prefixes) for i in imports), (
                module,
                imports,
            )


# What a probe script may import besides the standard library: the suite probe runs pytest, which
# mcheck installs into the target venv as a test dependency next to the wheel.
PROBE_TOOLS = {"suite_probe.py": {"pytest"}}


def test_probe_scripts_import_only_the_standard_library():
    for script in (PACKAGE / "probes" / "scripts").glob("*.py"):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        names = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        names |= {
            n.module.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module and not n.level
        }
        allowed = set(sys.stdlib_module_names) | {
            "__future__",
            "_mcheck_probe_support",
        }  # copied beside them
        allowed |= PROBE_TOOLS.get(script.name, set())
        assert names <= allowed, (script.name, names - allowed)


def test_knowledge_holds_data_and_imports_nothing_of_mcheck():
    for module, imports in _graph().items():
        if module.startswith("mcheck.knowledge"):
            assert not imports, (module, imports)


def test_the_probe_scripts_share_their_support_code_instead_of_copying_it():
    import ast as _ast

    support = PACKAGE / "probes" / "scripts" / "_mcheck_probe_support.py"
    shared = {
        n.name
        for n in _ast.parse(support.read_text("utf-8")).body
        if isinstance(n, _ast.FunctionDef)
    }
    for script in ("import_probe.py", "app_probe.py"):
        tree = _ast.parse((PACKAGE / "probes" / "scripts" / script).read_text("utf-8"))
        # A one-line binding that hands the script's own frames filter to the support function is fine.
        defined = {
            n.name.lstrip("_")
            for n in tree.body
            if isinstance(n, _ast.FunctionDef) and "_support_" not in _ast.unparse(n.body[-1])
        }
        assert not defined & {s.lstrip("_") for s in shared}, (script, defined & shared)


def test_checks_run_after_the_checks_whose_codes_they_read():
    from mcheck.checks import load_all

    order = load_all()
    for index, registered in enumerate(order):
        later = order[index + 1 :]
        assert not any(set(other.codes) & set(registered.reads) for other in later), registered.name


def test_a_cycle_between_checks_is_refused_naming_them():
    import pytest

    from mcheck.checks import RegisteredCheck, run_order

    def a(ctx):
        return []

    def b(ctx):
        return []

    first = RegisteredCheck(("MC101",), a, (), ("MC102",))
    second = RegisteredCheck(("MC102",), b, (), ("MC101",))
    with pytest.raises(
        ValueError, match=r"read each other's codes: \['test_house.a', 'test_house.b'\]"
    ):
        run_order([first, second])


def test_a_check_declares_inputs_that_the_context_has():
    import pytest

    from mcheck.checks import check

    with pytest.raises(TypeError, match=r"not CheckContext fields: \['wheels'\]"):
        check("MC101")(lambda ctx, wheels: [])


def test_the_model_sits_below_the_commands():
    model = (
        "mcheck.catalogue",
        "mcheck.findings",
        "mcheck.settings",
        "mcheck.errors",
        "mcheck.tomlfile",
        "mcheck.suppression",
        "mcheck.stages",
    )
    for module, imports in _graph().items():
        if module in model:
            assert not [i for i in imports if i.startswith(("mcheck.wheel", "mcheck.deploy"))], (
                module
            )


def test_the_public_surface_is_what_the_package_exports():
    import subprocess
    import sys

    import mcheck
    from mcheck.settings import SETTINGS

    for name in mcheck.__all__:
        assert getattr(mcheck, name) is not None, name
    assert dir(mcheck) == sorted(mcheck.__all__)
    # every wheel setting is a keyword of check_wheel, as its docstring says
    documented = mcheck.check_wheel.__doc__ or ""
    assert all(f"``{s.attr}``" in documented for s in SETTINGS if "wheel" in s.commands)
    # `import mcheck` alone loads none of the pipelines
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import mcheck, sys; print(sorted(m for m in sys.modules if m.startswith('mcheck')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "['mcheck']"
