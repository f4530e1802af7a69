"""Which Python version introduced a standard-library module or name: the static floor check's table
(MC205). Only what shipped code imports by name can be checked statically: ``import tomllib``,
``from typing import Self``. Sources: the "New in version" notes of the Python documentation.
"""

from __future__ import annotations

# module -> the first version that has it
STDLIB_MODULES_ADDED: dict[str, tuple[int, int]] = {
    "contextvars": (3, 7),
    "dataclasses": (3, 7),
    "importlib.resources": (3, 7),
    "importlib.metadata": (3, 8),
    "graphlib": (3, 9),
    "zoneinfo": (3, 9),
    "tomllib": (3, 11),
    "wsgiref.types": (3, 11),
    "importlib.resources.abc": (3, 11),
    "annotationlib": (3, 14),
    "compression": (3, 14),
    "string.templatelib": (3, 14),
}

# (module, name) -> the first version whose module has the name
STDLIB_NAMES_ADDED: dict[tuple[str, str], tuple[int, int]] = {
    **dict.fromkeys(
        [
            ("typing", "Literal"),
            ("typing", "Protocol"),
            ("typing", "TypedDict"),
            ("typing", "Final"),
            ("typing", "final"),
            ("typing", "runtime_checkable"),
            ("functools", "cached_property"),
        ],
        (3, 8),
    ),
    **dict.fromkeys([("typing", "Annotated"), ("functools", "cache"), ("math", "lcm")], (3, 9)),
    **dict.fromkeys(
        [
            ("typing", "TypeAlias"),
            ("typing", "ParamSpec"),
            ("typing", "Concatenate"),
            ("typing", "TypeGuard"),
            ("typing", "is_typeddict"),
            ("itertools", "pairwise"),
        ],
        (3, 10),
    ),
    **dict.fromkeys(
        [
            ("typing", "Self"),
            ("typing", "LiteralString"),
            ("typing", "Never"),
            ("typing", "assert_never"),
            ("typing", "reveal_type"),
            ("typing", "TypeVarTuple"),
            ("typing", "Unpack"),
            ("typing", "Required"),
            ("typing", "NotRequired"),
            ("typing", "dataclass_transform"),
            ("datetime", "UTC"),
            ("enum", "StrEnum"),
            ("contextlib", "chdir"),
            ("asyncio", "TaskGroup"),
            ("asyncio", "timeout"),
            ("hashlib", "file_digest"),
        ],
        (3, 11),
    ),
    **dict.fromkeys(
        [("typing", "override"), ("typing", "TypeAliasType"), ("itertools", "batched")], (3, 12)
    ),
    **dict.fromkeys(
        [("typing", "TypeIs"), ("typing", "ReadOnly"), ("warnings", "deprecated")], (3, 13)
    ),
}


# CPython feature releases people still declare support for, oldest first: what "every version
# requires-python admits" means when mcheck lists the ones not installed here (3.15.0 shipped in
# October 2026).
CPYTHON_MINORS: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(8, 16))


# module -> (the first version without it, what to use instead). Sources: "What's New" of each
# release; PEP 594 (the "dead batteries", removed in 3.13) and PEP 632 (distutils, 3.12).
STDLIB_MODULES_REMOVED: dict[str, tuple[tuple[int, int], str]] = {
    "binhex": ((3, 11), "base64 or binascii"),
    "distutils": ((3, 12), "setuptools, packaging (versions), shutil or sysconfig"),
    "imp": ((3, 12), "importlib"),
    "asynchat": ((3, 12), "asyncio"),
    "asyncore": ((3, 12), "asyncio"),
    "smtpd": ((3, 12), "aiosmtpd from PyPI"),
    **dict.fromkeys(
        ["aifc", "audioop", "chunk", "sndhdr", "sunau", "ossaudiodev"],
        ((3, 13), "a maintained PyPI fork (the standard-deprecated-modules project)"),
    ),
    "cgi": ((3, 13), "email.message or multipart from PyPI"),
    "cgitb": ((3, 13), "the traceback module"),
    "crypt": ((3, 13), "hashlib, or bcrypt/passlib from PyPI"),
    "imghdr": ((3, 13), "filetype or Pillow from PyPI"),
    "mailcap": ((3, 13), "mimetypes"),
    "msilib": ((3, 13), "a PyPI package"),
    "nis": ((3, 13), "a PyPI package"),
    "nntplib": ((3, 13), "a PyPI package"),
    "pipes": ((3, 13), "shlex.quote and subprocess"),
    "spwd": ((3, 13), "python-pam from PyPI"),
    "telnetlib": ((3, 13), "telnetlib3 from PyPI"),
    "uu": ((3, 13), "base64"),
    "xdrlib": ((3, 13), "struct"),
    "lib2to3": ((3, 13), "libcst or parso from PyPI"),
}

# (module, name) -> (the first version whose module lacks it, what to use instead)
STDLIB_NAMES_REMOVED: dict[tuple[str, str], tuple[tuple[int, int], str]] = {
    **{
        ("collections", name): ((3, 10), f"collections.abc.{name}")
        for name in [
            "Awaitable",
            "Coroutine",
            "AsyncIterable",
            "AsyncIterator",
            "AsyncGenerator",
            "Hashable",
            "Iterable",
            "Iterator",
            "Generator",
            "Reversible",
            "Sized",
            "Container",
            "Callable",
            "Collection",
            "Set",
            "MutableSet",
            "Mapping",
            "MutableMapping",
            "MappingView",
            "KeysView",
            "ItemsView",
            "ValuesView",
            "Sequence",
            "MutableSequence",
            "ByteString",
        ]
    },
    ("asyncio", "coroutine"): ((3, 11), "`async def`"),
    ("inspect", "getargspec"): ((3, 11), "inspect.signature or inspect.getfullargspec"),
    ("inspect", "formatargspec"): ((3, 11), "inspect.signature"),
    ("configparser", "SafeConfigParser"): ((3, 12), "configparser.ConfigParser"),
    ("ssl", "wrap_socket"): ((3, 12), "ssl.SSLContext.wrap_socket"),
    ("ssl", "match_hostname"): ((3, 12), "ssl.SSLContext's check_hostname"),
    ("locale", "resetlocale"): ((3, 13), "locale.setlocale(locale.LC_ALL, '')"),
    **{
        ("ast", name): ((3, 14), "ast.Constant")
        for name in ("Num", "Str", "Bytes", "NameConstant", "Ellipsis")
    },
    ("pkgutil", "find_loader"): ((3, 14), "importlib.util.find_spec"),
    ("pkgutil", "get_loader"): ((3, 14), "importlib.util.find_spec"),
}

# Distributions that put a removed module back (python-deadlib's ``standard-*`` packages are found by
# name): a project that declares one imports the module on the versions without it.
STDLIB_REMOVED_MODULE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "distutils": ("setuptools",),  # its _distutils_hack installs setuptools' copy as `distutils`
    "asyncore": ("pyasyncore",),
    "asynchat": ("pyasynchat",),
}
