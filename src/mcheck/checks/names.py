"""MC204: a name used in shipped code is never defined or imported (a ``NameError`` waiting to happen)."""

from __future__ import annotations

from collections.abc import Iterator

from mcheck.analysis.model import StaticAnalysis
from mcheck.checks import CheckContext, check
from mcheck.findings import Finding
from mcheck.knowledge.conventions import VENDOR_DIRS

_TYPING_NAMES = (
    "Any",
    "Callable",
    "ClassVar",
    "Dict",
    "Final",
    "Generic",
    "Iterable",
    "Iterator",
    "List",
    "Literal",
    "Mapping",
    "Optional",
    "Protocol",
    "Sequence",
    "Set",
    "Tuple",
    "Type",
    "TypeVar",
    "Union",
    "cast",
    "overload",
)
# Names people forget to import, with the module they usually come from.
KNOWN_SOURCES: dict[str, str] = {
    **dict.fromkeys(_TYPING_NAMES, "typing"),
    "URLSafeTimedSerializer": "itsdangerous",
    "URLSafeSerializer": "itsdangerous",
    "Path": "pathlib",
    "PurePath": "pathlib",
    "dataclass": "dataclasses",
    "field": "dataclasses",
    "datetime": "datetime",
    "timedelta": "datetime",
    "timezone": "datetime",
    "defaultdict": "collections",
    "OrderedDict": "collections",
    "Counter": "collections",
    "namedtuple": "collections",
    "partial": "functools",
    "wraps": "functools",
    "lru_cache": "functools",
    "Enum": "enum",
    "ABC": "abc",
    "abstractmethod": "abc",
    "BaseModel": "pydantic",
    "Field": "pydantic",
    "APIRouter": "fastapi",
    "Depends": "fastapi",
    "HTTPException": "fastapi",
    "FastAPI": "fastapi",
    "Request": "fastapi",
}
# Modules that are referenced as a bare name more often than they are imported.
KNOWN_MODULES = frozenset(
    {
        "os",
        "sys",
        "re",
        "json",
        "time",
        "logging",
        "math",
        "random",
        "subprocess",
        "shutil",
        "asyncio",
        "typing",
        "itertools",
        "functools",
        "collections",
        "uuid",
        "hashlib",
        "base64",
        "tempfile",
        "datetime",
    }
)


@check("MC204")
def undefined_names(ctx: CheckContext, analysis: StaticAnalysis) -> Iterator[Finding]:
    seen: set[tuple[str, int, str]] = set()
    for undefined in analysis.undefined_names:
        key = (undefined.path, undefined.line, undefined.name)
        if key in seen or analysis.is_ignored(undefined.path, undefined.line, "MC204"):
            continue
        if VENDOR_DIRS & set(undefined.path.split("/")[:-1]):
            continue  # vendored upstream code (pip's distlib, pygments): the probe imports it
        seen.add(key)
        yield Finding(
            "MC204",
            path=undefined.path,
            line=undefined.line,
            message=f"{undefined.path}:{undefined.line} uses {undefined.name}, which is never defined or imported",
            hint=import_hint(undefined.name),
        )


def import_hint(name: str) -> str:
    """The import that probably went missing, when ``name`` is a well-known one."""
    if name in KNOWN_SOURCES:
        return f"add `from {KNOWN_SOURCES[name]} import {name}`"
    if name in KNOWN_MODULES:
        return f"add `import {name}`"
    return "import or define it"
