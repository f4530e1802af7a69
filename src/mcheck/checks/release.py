"""Release-gate checks: what the package index would refuse at upload, offline (MC601-MC608).

The rules and their sources are tables in :mod:`mcheck.knowledge.index_rules`; the parsing is
``packaging`` (metadata, file names, tags, licenses), ``trove-classifiers`` and ``readme_renderer``.
"""

from __future__ import annotations

import configparser
import io
import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from urllib.parse import urlparse

import pathspec
import trove_classifiers
from packaging.metadata import InvalidMetadata, Metadata
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from mcheck.checks import CheckContext, check
from mcheck.checks.drop_reasons import explain_drop
from mcheck.findings import Finding, Fix
from mcheck.fix.edits import create_file
from mcheck.knowledge.index_rules import (
    DYNAMIC_FIELDS,
    INDEX_METADATA_VERSIONS,
    LICENSE_FILE_FIX,
    LICENSE_FILE_SINCE,
    PRIVATE_CLASSIFIER_PREFIX,
    PROJECT_URL_LABEL_LIMIT,
    RST_CONTENT_TYPES,
    SUMMARY_LIMIT,
    TWINE_NEWEST_METADATA_VERSION,
)
from mcheck.wheel.artifacts import SdistContents, WheelContents
from mcheck.wheel.layout import map_packages

# entry_points.txt: a name is anything without '=' and not starting with '['; the value an object
# reference (PyPA entry points specification).
_OBJECT_REFERENCE = re.compile(r"^[\w.]+\s*(:\s*[\w.]+)?\s*(\[[\w\s,.-]*\])?$")


@check("MC601")
def metadata_the_index_rejects(ctx: CheckContext) -> Iterator[Finding]:
    path = f"{ctx.wheel.dist_info}/METADATA"
    for field, problem in index_metadata_problems(ctx.wheel, ctx.release):
        yield Finding(
            "MC601",
            path=path,
            message=f"{field}: {problem}",
            hint="fix the project metadata (pyproject.toml [project]) and rebuild",
        )


def index_metadata_problems(wheel: WheelContents, release: bool = True) -> list[tuple[str, str]]:
    """(field, problem) for every rule of the index the wheel's METADATA breaks; without
    ``release``, not the rules whose outcome depends on the uploader."""
    return metadata_problems(wheel.metadata_text, wheel.path.name, release)


def metadata_problems(text: str, file_name: str, release: bool = True) -> list[tuple[str, str]]:
    """(field, problem) for every rule of the index that core metadata ``text`` of the artifact
    ``file_name`` (a wheel or an sdist) breaks."""
    try:
        metadata = Metadata.from_email(text, validate=True)
    except ExceptionGroup as group:
        invalid = [e for e in group.exceptions if isinstance(e, InvalidMetadata)]
        return [p for e in invalid if (p := _invalid(e, release)) is not None]
    except InvalidMetadata as exc:
        return [p for p in [_invalid(exc, release)] if p is not None]
    return [
        *_version_problems(metadata),
        *_classifier_problems(metadata),
        *_field_problems(metadata),
        *_file_name_problems(metadata, file_name),
    ]


def _invalid(exc: InvalidMetadata, release: bool) -> tuple[str, str] | None:
    if (
        exc.field == "license-file"
        and f"introduced in metadata version {LICENSE_FILE_SINCE}" in str(exc)
    ):
        if not release:
            return None  # the uploader decides (see LICENSE_FILE_SINCE): a release-gate finding
        return exc.field, (
            f"{exc}: the index answers 400 to uv publish and hatch publish (twine leaves the field "
            f"out for such wheels); {LICENSE_FILE_FIX}"
        )
    return exc.field, str(exc)


def _version_problems(metadata: Metadata) -> Iterator[tuple[str, str]]:
    if metadata.metadata_version not in INDEX_METADATA_VERSIONS:
        yield "metadata-version", f"{metadata.metadata_version!r} is not one the index accepts"


def _classifier_problems(metadata: Metadata) -> Iterator[tuple[str, str]]:
    for classifier in sorted(set(metadata.classifiers or [])):
        if classifier.startswith(PRIVATE_CLASSIFIER_PREFIX):
            yield "classifier", f"{classifier!r} exists to make the upload fail"
        elif classifier in trove_classifiers.deprecated_classifiers:
            instead = trove_classifiers.deprecated_classifiers[classifier]
            yield (
                "classifier",
                f"{classifier!r} is deprecated"
                + (f", use {' or '.join(map(repr, instead))}" if instead else ""),
            )
        elif classifier not in trove_classifiers.all_classifiers:
            yield "classifier", f"{classifier!r} is not a valid classifier"


def _field_problems(metadata: Metadata) -> Iterator[tuple[str, str]]:
    if metadata.summary and len(metadata.summary) > SUMMARY_LIMIT:
        yield "summary", f"is {len(metadata.summary)} characters, more than {SUMMARY_LIMIT}"
    yield from _url_problems(metadata)
    for requirement in metadata.requires_dist or []:
        if requirement.url is not None:
            yield "requires-dist", f"{str(requirement)!r} is a direct reference"
    for name in metadata.dynamic or []:
        if name.lower() not in DYNAMIC_FIELDS:
            yield "dynamic", f"{name!r} may not be dynamic"
    if metadata.license and metadata.license_expression:
        yield "license", "License and License-Expression are both set; keep License-Expression"


def _url_problems(metadata: Metadata) -> Iterator[tuple[str, str]]:
    for label, url in (metadata.project_urls or {}).items():
        if len(label) > PROJECT_URL_LABEL_LIMIT:
            yield "project-url", f"label {label!r} is longer than {PROJECT_URL_LABEL_LIMIT}"
        elif not _is_url(url):
            yield "project-url", f"{url!r} ({label}) is not a URL"
    for field, url in (("home-page", metadata.home_page), ("download-url", metadata.download_url)):
        if url is not None and not _is_url(url):
            yield field, f"{url!r} is not a URL"


def _file_name_problems(metadata: Metadata, file_name: str) -> Iterator[tuple[str, str]]:
    try:
        if file_name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(file_name)
        else:
            name, version = parse_sdist_filename(file_name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return  # MC604 says so
    if canonicalize_name(metadata.name) != name:
        yield "name", f"{metadata.name!r} disagrees with the file name {file_name}"
    if metadata.version != version:
        yield "version", f"{metadata.version} disagrees with the file name {file_name}"


def _is_url(text: str) -> bool:
    parsed = urlparse(text)
    return bool(parsed.scheme) and (bool(parsed.netloc) or parsed.scheme == "mailto")


@check("MC604")
def wheel_file_breaks_the_rules(ctx: CheckContext) -> Iterator[Finding]:
    for subject, problem in ctx.wheel.format_problems:
        yield Finding(
            "MC604",
            path=subject,
            message=problem,
            hint="build the wheel with the build backend and do not rename it",
        )
    yield from _entry_point_problems(ctx.wheel)


def _entry_point_problems(wheel: WheelContents) -> Iterator[Finding]:
    path = f"{wheel.dist_info}/entry_points.txt"
    if not wheel.entry_points_text:
        return
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names are case-sensitive
    try:
        parser.read_file(io.StringIO(wheel.entry_points_text), source=path)
    except configparser.Error as exc:
        yield Finding(
            "MC604",
            path=path,
            message=f"entry_points.txt does not parse: {exc.message.splitlines()[0]}",
            hint="let the backend write it from [project.scripts] / [project.entry-points]",
        )
        return
    for group in parser.sections():
        for name, value in parser.items(group):
            if not _OBJECT_REFERENCE.match(value):
                yield Finding(
                    "MC604",
                    path=path,
                    message=f"[{group}] {name} = {value!r} is not an object reference (module:attr)",
                    hint="point the entry point at `package.module:function`",
                )


@check("MC605")
def local_version(ctx: CheckContext) -> Iterator[Finding]:
    if not ctx.release:
        return
    try:
        version = Version(ctx.wheel.version)
    except ValueError:
        return  # MC601 says so
    if version.local:
        yield Finding(
            "MC605",
            path=ctx.wheel.path.name,
            message=f"version {version} has a local part (+{version.local}): the index refuses it",
            hint="build from a clean, tagged checkout (setuptools-scm adds +g<hash> otherwise)",
        )


@check("MC606")
def typing_promised_not_shipped(ctx: CheckContext) -> Iterator[Finding]:
    shipped = any(m.rsplit("/", 1)[-1] == "py.typed" for m in ctx.wheel.members)
    if shipped:
        return
    try:
        classifiers = Metadata.from_email(ctx.wheel.metadata_text, validate=False).classifiers
    except (ExceptionGroup, InvalidMetadata):
        classifiers = None
    in_source = _source_py_typed(ctx)
    if in_source:
        yield Finding(
            "MC606",
            path=in_source,
            message=f"{in_source} is in the source tree but not in the wheel",
            hint="ship it as package data (setuptools: [tool.setuptools.package-data])",
            fix=_ship_marker_fix(ctx, in_source),
        )
    elif "Typing :: Typed" in (classifiers or []):
        yield Finding(
            "MC606",
            path=f"{ctx.wheel.dist_info}/METADATA",
            message="the 'Typing :: Typed' classifier is set, but the wheel has no py.typed",
            hint="add py.typed to the package and ship it, or drop the classifier",
            fix=_add_marker_fix(ctx),
        )


def _source_py_typed(ctx: CheckContext) -> str | None:
    if ctx.project is None:
        return None
    found = sorted(f for f in ctx.project.files if f.rsplit("/", 1)[-1] == "py.typed")
    ignored = ("tests/", "test/", "docs/")
    found = [f for f in found if not f.startswith(ignored)]
    return found[0] if found else None


def _ship_marker_fix(ctx: CheckContext, source_file: str) -> Fix | None:
    """The package-data fix a dropped data file gets, for the marker the source tree has."""
    if ctx.project is None:
        return None
    for package in map_packages(ctx.wheel, ctx.project.file_set()):
        if package.contains(source_file):
            in_sdist = ctx.sdist is None or source_file in ctx.sdist.files
            return explain_drop(ctx.project, package, source_file, in_sdist=in_sdist).fix
    return None


def _add_marker_fix(ctx: CheckContext) -> Fix | None:
    """An empty py.typed in the source directory of every top-level package the wheel ships (the
    re-run proves the backend ships it: setuptools >= 69, hatchling, poetry, flit and pdm do)."""
    if ctx.project is None:
        return None
    markers = [f"{p.source_dir}/py.typed" for p in map_packages(ctx.wheel, ctx.project.file_set())]
    if not markers:
        return None
    return Fix(f"add {', '.join(markers)}", tuple(create_file(marker) for marker in markers))


@check("MC608")
def twine_refuses(ctx: CheckContext) -> Iterator[Finding]:
    if not ctx.release:  # only the upload step cares which twine reads the metadata
        return
    version = _metadata_version(ctx.wheel.metadata_text)
    if version is None or version not in INDEX_METADATA_VERSIONS:
        return  # MC601
    if Version(version) > Version(TWINE_NEWEST_METADATA_VERSION):
        yield Finding(
            "MC608",
            path=f"{ctx.wheel.dist_info}/METADATA",
            message=(
                f"Metadata-Version {version}: the index accepts it, but twine 6.2 and older read "
                f"at most {TWINE_NEWEST_METADATA_VERSION} and refuse the upload (pypa/twine#1327)"
            ),
            hint="upgrade twine and pkginfo in the publishing job, or upload with `uv publish`",
        )


def _metadata_version(text: str) -> str | None:
    for line in text.splitlines():
        if not line.strip():
            return None
        key, _, value = line.partition(":")
        if key.strip().lower() == "metadata-version":
            return value.strip()
    return None


@check("MC602")
def description_does_not_render(ctx: CheckContext) -> Iterator[Finding]:
    if not ctx.release:  # a description that does not render breaks the upload, not the wheel
        return
    try:
        metadata = Metadata.from_email(ctx.wheel.metadata_text, validate=False)
    except (ExceptionGroup, InvalidMetadata):
        return
    description = metadata.description
    content_type = (metadata.description_content_type or "").split(";", 1)[0].strip().lower()
    if not description or content_type not in RST_CONTENT_TYPES:
        return
    error = _rst_error(description)
    if error is not None:
        yield Finding(
            "MC602",
            path=f"{ctx.wheel.dist_info}/METADATA",
            message=f"the reStructuredText long description does not render: {error}",
            hint="fix the markup (python -m readme_renderer README.rst), or declare "
            'readme = {file = "README.md", content-type = "text/markdown"} if it is Markdown',
        )


def _rst_error(description: str) -> str | None:
    from readme_renderer.rst import render

    warnings = io.StringIO()
    if render(description, stream=warnings) is not None:
        return None
    lines = [line.strip() for line in warnings.getvalue().splitlines() if line.strip()]
    return (
        " ".join(lines[:2]).replace("<string>:", "line ") if lines else "readme_renderer refused it"
    )


@check("MC607")
def for_another_platform(ctx: CheckContext, foreign_tags: tuple[str, ...]) -> Iterator[Finding]:
    shown = ", ".join(foreign_tags[:4]) + (", ..." if len(foreign_tags) > 4 else "")
    yield Finding(
        "MC607",
        path=ctx.wheel.path.name,
        message=(
            f"the wheel is for {shown}, which this interpreter does not support: its contents, "
            "metadata and RECORD were checked; it was not installed or imported"
        ),
        hint="run mcheck on a matching machine (a CI job on that platform) to import it",
    )


@check("MC603")
def license_files_missing(ctx: CheckContext) -> Iterator[Finding]:
    licenses = f"{ctx.wheel.dist_info}/licenses/"
    shipped = {m.removeprefix(licenses) for m in ctx.wheel.members if m.startswith(licenses)}
    metadata = f"{ctx.wheel.dist_info}/METADATA"
    yield from _missing_license_files(
        ctx, ctx.wheel.metadata_text, shipped, metadata, "wheel", expected_at=licenses
    )


def _license_files_named_in(metadata_text: str) -> list[str]:
    version = _metadata_version(metadata_text)
    try:
        if version is None or Version(version) < Version("2.4"):
            return []  # before PEP 639 the place of license files was not specified
    except ValueError:
        return []
    return [
        value.strip()
        for line in metadata_text.split("\n\n", 1)[0].splitlines()
        if (value := _header_value(line, "license-file")) is not None
    ]


def _header_value(line: str, name: str) -> str | None:
    key, sep, value = line.partition(":")
    return value if sep and key.strip().lower() == name else None


def _declared_license_files(ctx: CheckContext) -> list[str]:
    if ctx.project is None:
        return []
    globs = ctx.project.pyproject.get("project", {}).get("license-files")
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        return []  # the PEP 639 form only; the older table form is setuptools-specific
    # PEP 639 globs are relative to the project root: anchored gitignore patterns say the same.
    spec = pathspec.GitIgnoreSpec.from_lines([f"/{g.lstrip('/')}" for g in globs])
    return sorted(f for f in ctx.project.files if spec.match_file(f))


@check("MC603")
def sdist_license_files_missing(ctx: CheckContext, sdist: SdistContents) -> Iterator[Finding]:
    """With --release: the sdist is uploaded too, and holds license files at their own paths."""
    if ctx.release:
        metadata = f"{sdist.path.name}:PKG-INFO"
        yield from _missing_license_files(ctx, sdist.pkg_info_text, sdist.files, metadata, "sdist")


def _missing_license_files(
    ctx: CheckContext,
    metadata_text: str,
    present: AbstractSet[str],
    metadata: str,
    artifact: str,
    expected_at: str = "",
) -> Iterator[Finding]:
    """MC603 for each License-File of ``metadata_text`` and each file ``[project] license-files``
    matches that is not among ``present`` (paths as the ``artifact`` holds them)."""
    for named in _license_files_named_in(metadata_text):
        if named not in present:
            yield Finding(
                "MC603",
                path=metadata,
                message=f"License-File {named} is not in the {artifact}"
                + (f" ({expected_at}{named})" if expected_at else ""),
                hint=f"the index rejects the upload; include it in the {artifact}",
            )
    for declared in _declared_license_files(ctx):
        if declared not in present:
            yield Finding(
                "MC603",
                path=declared,
                message=f"{declared} matches [project] license-files but is not in the {artifact}",
                hint="the wheel is built from the sdist: include it there first "
                "(setuptools: MANIFEST.in; hatchling: [tool.hatch.build.targets.sdist] include)",
            )


@check("MC609")
def sdist_name_not_normalised(ctx: CheckContext, sdist: SdistContents) -> Iterator[Finding]:
    """The index accepts a PEP 625 name that is not normalised, and warns (warehouse#12245)."""
    if not ctx.release:
        return
    name = sdist.path.name
    try:
        project, version = parse_sdist_filename(name)
    except InvalidSdistFilename:
        return  # MC604 says so
    expected = f"{project.replace('-', '_')}-{version}.tar.gz"
    if name != expected:
        yield Finding(
            "MC609",
            path=name,
            message=f"{name} is not normalised as PEP 625 asks: {expected}; the index accepts it "
            "and warns the maintainers",
            hint="build the sdist with setuptools >= 69.3 (or any current backend): it writes "
            f"{expected}",
        )


@check("MC601", "MC604")
def sdist_the_index_rejects(ctx: CheckContext, sdist: SdistContents) -> Iterator[Finding]:
    """With --release the sdist is uploaded too: its file name (PEP 625) and its PKG-INFO."""
    if not ctx.release:
        return
    name = sdist.path.name
    for problem in _sdist_name_problems(name):
        yield Finding(
            "MC604",
            path=name,
            message=problem,
            hint="build the sdist with a current backend (setuptools >= 69.3 writes PEP 625 names)",
        )
    if not sdist.pkg_info_text:
        yield Finding(
            "MC601",
            path=name,
            message="the sdist has no PKG-INFO in its top directory: the index rejects it",
            hint="build the sdist with a PEP 517 build tool (python -m build --sdist)",
        )
        return
    for field, problem in metadata_problems(sdist.pkg_info_text, name):
        yield Finding(
            "MC601",
            path=f"{name}:PKG-INFO",
            message=f"{field}: {problem}",
            hint="fix the project metadata (pyproject.toml [project]) and rebuild",
        )


def _sdist_name_problems(name: str) -> Iterator[str]:
    if not name.endswith(".tar.gz"):
        yield f"{name}: an sdist must be a .tar.gz (PEP 625)"
        return
    try:
        parse_sdist_filename(name)
    except InvalidSdistFilename as exc:
        yield f"{name} is not a valid sdist name: {exc}"
