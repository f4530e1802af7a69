"""Which interpreters a wheel is checked with: the stage between the build and the install.

Input: the ``python`` setting (requests such as ``3.12``, a path, or ``supported``) and the wheel's
``Requires-Python``. Output: a :class:`PythonChoice`, the interpreters (oldest first) and what the report should say
about them.

Nothing is downloaded: an interpreter that is not installed here is listed as not checked (MC004),
and one that was asked for by name and is missing is bad input (exit 2, from
:mod:`mcheck.interpreters`), never a finding about the wheel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mcheck.errors import UsageError
from mcheck.findings import Finding
from mcheck.interpreters import (
    Interpreter,
    installed_interpreters,
    interpreter_for,
    own_interpreter,
)
from mcheck.knowledge.python_versions import CPYTHON_MINORS

SUPPORTED = "supported"  # every installed interpreter that requires-python admits


@dataclass(frozen=True)
class PythonChoice:
    interpreters: tuple[Interpreter, ...]  # at least one; distinct minor versions, oldest first
    why: str  # for -v and the text report: how they were chosen
    findings: tuple[Finding, ...] = ()  # MC004: admitted versions that are not installed here


def choose_pythons(
    requests: Sequence[str],
    requires_python: str | None,
    inventory: Callable[[], Sequence[Interpreter]] = installed_interpreters,
) -> PythonChoice:
    """The interpreters to check with.

    - ``supported`` (alone or with others): every installed CPython that ``requires_python`` admits,
      plus the other requests; the admitted versions that are not installed are listed (MC004).
    - explicit requests only: exactly those; one that ``requires_python`` excludes is bad input.
    - none: mcheck's own interpreter when ``requires_python`` admits it, else the newest installed
      one that does (a project that needs 3.12 is not "uninstallable" because mcheck runs on 3.11).
    """
    spec = _specifier(requires_python)
    explicit = [interpreter_for(r) for r in requests if r != SUPPORTED]
    for interpreter in explicit:
        if spec is not None and not spec.contains(interpreter.full_version, prereleases=True):
            raise UsageError(
                f"python {interpreter.path} is Python {interpreter.full_version}, which the "
                f"wheel's requires-python {requires_python} excludes"
            )
    if SUPPORTED in requests:
        return _supported(explicit, spec, requires_python, inventory())
    if explicit:
        return PythonChoice(_distinct(explicit), "as given by the python setting")
    own = own_interpreter()
    if spec is None or spec.contains(own.full_version, prereleases=True):
        return PythonChoice((own,), "mcheck's own interpreter")
    if not any(_admits_minor(spec, minor) for minor in CPYTHON_MINORS):
        # No CPython release at all: the wheel installs nowhere, which is its problem (MC002).
        return PythonChoice((own,), f"mcheck's own (requires-python {requires_python} admits none)")
    admitted = _admitted(inventory(), spec)
    if not admitted:
        found = ", ".join(i.label for i in inventory()) or "none"
        raise UsageError(
            f"requires-python {requires_python} admits no interpreter installed here "
            f"(found: {found}); install one (uv python install, pyenv install) or pass --python"
        )
    newest = admitted[-1]
    return PythonChoice(
        (newest,),
        f"Python {newest.label}, the newest installed that requires-python {requires_python} "
        f"admits (mcheck's own {own.label} is excluded)",
    )


def _supported(
    explicit: list[Interpreter],
    spec: SpecifierSet | None,
    requires_python: str | None,
    installed: Sequence[Interpreter],
) -> PythonChoice:
    admitted = _admitted(installed, spec)
    chosen = _distinct([*admitted, *explicit])
    if not chosen:
        raise UsageError(
            f"python = supported: requires-python {requires_python} admits no interpreter "
            "installed here"
        )
    missing = [
        minor
        for minor in CPYTHON_MINORS
        if (spec is None or _admits_minor(spec, minor)) and minor not in {i.minor for i in chosen}
    ]
    findings = ()
    if missing:
        listed = ", ".join(f"{major}.{minor}" for major, minor in missing)
        findings = (
            Finding(
                "MC004",
                path=None,
                message=f"requires-python {requires_python or '(none)'} admits Python {listed}, "
                f"which {'is' if len(missing) == 1 else 'are'} not installed here: not checked",
                hint="install them (uv python install 3.X, pyenv install 3.X) to check every "
                "supported version, or narrow requires-python",
            ),
        )
    admits = (
        f"requires-python {requires_python}"
        if requires_python
        else "the project (no requires-python)"
    )
    return PythonChoice(chosen, f"every installed Python that {admits} admits", findings)


def _specifier(requires_python: str | None) -> SpecifierSet | None:
    if not requires_python:
        return None
    try:
        return SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None  # MC601 reports it; the interpreters are not narrowed by what cannot be read


def _admitted(installed: Sequence[Interpreter], spec: SpecifierSet | None) -> list[Interpreter]:
    """The installed CPythons ``spec`` admits, among the releases still in use (uv creates no venv
    for 3.7 and older)."""
    return sorted(
        i
        for i in installed
        if i.implementation == "cpython"
        and i.minor in CPYTHON_MINORS
        and (spec is None or spec.contains(i.full_version, prereleases=True))
    )


def _admits_minor(spec: SpecifierSet, minor: tuple[int, int]) -> bool:
    return any(
        spec.contains(f"{minor[0]}.{minor[1]}.{patch}", prereleases=True) for patch in (0, 1, 99)
    )


def _distinct(interpreters: Sequence[Interpreter]) -> tuple[Interpreter, ...]:
    """One interpreter per minor version (the first given wins), oldest first."""
    by_minor: dict[tuple[int, int], Interpreter] = {}
    for interpreter in interpreters:
        by_minor.setdefault(interpreter.minor, interpreter)
    return tuple(sorted(by_minor.values()))
