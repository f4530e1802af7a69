"""Distribution name <-> import name, for the many projects where the two differ.

Used to tell which declared (or optional) dependency would provide a missing import, and to suggest the
distribution to declare for an undeclared one (``Crypto`` comes from ``pycryptodome``, not from
``pycryptodomex``, which installs ``Cryptodome``). Names that only differ by case, ``-``/``_``/``.``
need no entry: :func:`import_names_for_distribution` guesses those.
"""

from __future__ import annotations

from functools import cache

from packaging.utils import canonicalize_name

# Canonical distribution name -> the top-level import names it installs (dotted for namespace packages,
# where the top-level name alone, such as ``google``, is shared by many distributions).
KNOWN_IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "attrs": ("attr", "attrs"),
    "beautifulsoup4": ("bs4",),
    "dnspython": ("dns",),
    "docker-py": ("docker",),
    "email-validator": ("email_validator",),
    "faiss-cpu": ("faiss",),
    "faiss-gpu": ("faiss",),
    "google-api-core": ("google.api_core",),
    "google-api-python-client": ("googleapiclient",),
    "google-auth": ("google.auth", "google.oauth2"),
    "google-cloud-storage": ("google.cloud.storage",),
    "googleapis-common-protos": ("google.api", "google.type", "google.rpc"),
    "grpcio": ("grpc",),
    "ipython": ("IPython",),
    "libsass": ("sass",),
    "llvmlite": ("llvmlite",),
    "mysql-connector-python": ("mysql.connector",),
    "mysqlclient": ("MySQLdb",),
    "msgpack": ("msgpack",),
    "opencv-contrib-python": ("cv2",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "pillow": ("PIL",),
    "protobuf": ("google.protobuf",),
    "psycopg": ("psycopg",),
    "psycopg2-binary": ("psycopg2",),
    "py-cpuinfo": ("cpuinfo",),
    "pyasn1-modules": ("pyasn1_modules",),
    "pycryptodome": ("Crypto",),
    "pycryptodomex": ("Cryptodome",),
    "pygithub": ("github",),
    "pyjwt": ("jwt",),
    "pymupdf": ("fitz", "pymupdf"),
    "pyopenssl": ("OpenSSL",),
    "pyserial": ("serial",),
    "pysocks": ("socks", "sockshandler"),
    "python-dateutil": ("dateutil",),
    "python-docx": ("docx",),
    "python-dotenv": ("dotenv",),
    "python-jose": ("jose",),
    "python-magic": ("magic",),
    "python-multipart": ("multipart", "python_multipart"),
    "python-pptx": ("pptx",),
    "python-slugify": ("slugify",),
    "python-telegram-bot": ("telegram",),
    "pytz": ("pytz",),
    "pywin32": (
        "win32api",
        "win32con",
        "win32com",
        "win32file",
        "win32gui",
        "win32process",
        "pywintypes",
        "pythoncom",
        "winerror",
        "win32event",
        "win32service",
        "win32serviceutil",
    ),
    "pyyaml": ("yaml", "_yaml"),
    "pyzmq": ("zmq",),
    "ruamel-yaml": ("ruamel.yaml",),
    "scikit-image": ("skimage",),
    "scikit-learn": ("sklearn",),
    "setuptools": ("setuptools", "pkg_resources", "_distutils_hack"),
    "sentence-transformers": ("sentence_transformers",),
    "tensorflow-cpu": ("tensorflow",),
    "typing-extensions": ("typing_extensions",),
    "websocket-client": ("websocket",),
    "pyobjc-core": ("objc",),
    "pyobjc-framework-cocoa": ("AppKit", "Foundation", "CoreFoundation", "PyObjCTools"),
    "pyobjc-framework-quartz": ("Quartz",),
    "pymysql": ("pymysql",),
    "discord-py": ("discord",),
    "railroad-diagrams": ("railroad",),
    "influxdb-client": ("influxdb_client",),
    "azure-storage-blob": ("azure.storage.blob",),
    "azure-identity": ("azure.identity",),
}


def import_names_for_distribution(dist: str) -> tuple[str, ...]:
    """The import names ``dist`` installs: from the table, else the usual guess (``Foo-Bar`` -> ``foo_bar``)."""
    name = canonicalize_name(dist)
    return KNOWN_IMPORT_NAMES.get(name) or (name.replace("-", "_"),)


def distributions_for_import(name: str) -> tuple[str, ...]:
    """Canonical names of the distributions that provide import ``name`` (``yaml`` or ``google.protobuf.json``).

    Known providers of the longest matching dotted prefix come first; without one, the same-name guess
    (``requests`` -> ``requests``) is returned alone.
    """
    parts = name.split(".")
    index = _reverse_index()
    for size in range(len(parts), 0, -1):
        providers = index.get(".".join(parts[:size]))
        if providers:
            return providers
    return (canonicalize_name(parts[0]),)


@cache
def _reverse_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for dist, names in KNOWN_IMPORT_NAMES.items():
        for import_name in names:
            index.setdefault(import_name, []).append(dist)
    return {key: tuple(sorted(value)) for key, value in index.items()}
