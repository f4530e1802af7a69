"""The release gate: what the package index refuses at upload, found offline (MC601-MC608).

Samples under ``sample_projects/release_*`` are real builds; hand-built wheels cover what no backend
writes (a broken WHEEL file, another platform's tags). The clean samples are the twins: with
``--release`` they stay free of every release finding but the twine warning (MC608), which only a
Metadata-Version newer than twine reads can raise.
"""

from __future__ import annotations

import hashlib
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

from conftest import built_sdist, copy_sample
from mcheck.api import check_wheel
from mcheck.checks import CheckContext
from mcheck.checks.release import index_metadata_problems, twine_refuses
from mcheck.wheel.artifacts import WheelContents

RELEASE_CODES = {
    "MC601",
    "MC602",
    "MC603",
    "MC604",
    "MC605",
    "MC606",
    "MC607",
    "MC608",
    "MC609",
}

# sample -> the (code, path) of every release finding with --release
SPEC: dict[str, set[tuple[str, str]]] = {
    "release_metadata_rejected": {  # the wheel's METADATA and the sdist's PKG-INFO
        ("MC601", "release_metadata_rejected-1.0.dist-info/METADATA"),
        ("MC601", "release_metadata_rejected-1.0.tar.gz:PKG-INFO"),
    },
    "release_readme_broken": {("MC602", "release_readme_broken-1.0.dist-info/METADATA")},
    "release_local_version": {("MC605", "release_local_version-1.0+local.build-py3-none-any.whl")},
    "release_typed_not_shipped": {
        ("MC606", "release_typed_not_shipped-1.0.dist-info/METADATA"),
    },
    # setuptools < 69.3 keeps the declared spelling: the index accepts the file and warns.
    "release_sdist_name_not_normalised": {("MC609", "Release.Sdist_Name-1.0.tar.gz")},
}


def release_findings(report) -> list[tuple[str, str | None, str]]:
    return sorted((f.code, f.path, f.message) for f in report.findings if f.code in RELEASE_CODES)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """Each sample checked once with --release and once without."""
    results = {}

    def run(name: str, release: bool):
        if (name, release) not in results:
            root = copy_sample(name, tmp_path_factory.mktemp(name) / name)
            results[name, release] = check_wheel(root, release=release)
        return results[name, release]

    return run


@pytest.mark.parametrize("name", sorted(SPEC))
def test_each_release_sample_gives_exactly_its_findings_with_release(released, name):
    report = released(name, True)
    assert {(code, path) for code, path, _ in release_findings(report)} == SPEC[name]
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert report.exit_code == (1 if errors else 0)
    assert not [f for f in report.findings if f.code == "MC002"]  # installed and imported fine


def test_metadata_findings_name_each_field(released):
    findings = release_findings(released("release_metadata_rejected", True))
    messages = [m for _, path, m in findings if path.endswith("METADATA")]
    assert messages == [
        "classifier: 'Private :: Do Not Upload' exists to make the upload fail",
        "project-url: label 'Documentation for the release-metadata sample' is longer than 32",
    ]


def test_the_rst_error_is_quoted_with_its_line(released):
    (message,) = [m for _, _, m in release_findings(released("release_readme_broken", True))]
    assert message.startswith("the reStructuredText long description does not render: line 6:")
    assert 'unknown option: "no-such-option"' in message


def test_a_local_version_is_reported_only_with_release(released):
    assert release_findings(released("release_local_version", False)) == []
    assert released("release_local_version", False).exit_code == 0


@pytest.mark.parametrize(
    "name", ["clean_flit", "clean_setuptools_src", "clean_pdm", "clean_poetry"]
)
def test_clean_twins_pass_the_release_gate(released, name):
    assert release_findings(released(name, True)) == []


def test_a_hatchling_wheel_with_metadata_2_5_warns_that_twine_refuses_it(released):
    report = released("clean_hatchling", True)
    findings = release_findings(report)
    assert [(code, path) for code, path, _ in findings] == [
        ("MC608", "mcheck_sample_clean_hatchling-0.1.0.dist-info/METADATA")
    ]
    assert report.exit_code == 0
    assert release_findings(released("clean_hatchling", False)) == []


# --- core metadata, rule by rule ------------------------------------------------------------------


def metadata_wheel(tmp_path: Path, metadata: str, name: str = "demo-1.0-py3-none-any.whl"):
    wheel = tmp_path / name
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/__init__.py", "")
        zf.writestr("demo-1.0.dist-info/METADATA", metadata)
    return WheelContents.read(wheel)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ("Metadata-Version: 2.6", ("metadata-version", "'2.6' is not one the index accepts")),
        (
            "Metadata-Version: 2.4\nClassifier: Bogus :: Thing",
            ("classifier", "'Bogus :: Thing' is not a valid classifier"),
        ),
        (
            "Metadata-Version: 2.4\nClassifier: Natural Language :: Ukranian",
            (
                "classifier",
                "'Natural Language :: Ukranian' is deprecated, use 'Natural Language :: Ukrainian'",
            ),
        ),
        (
            "Metadata-Version: 2.4\nSummary: " + "x" * 513,
            ("summary", "is 513 characters, more than 512"),
        ),
        (
            "Metadata-Version: 2.4\nRequires-Dist: helper @ https://example.org/helper-1.0.tar.gz",
            (
                "requires-dist",
                "'helper @ https://example.org/helper-1.0.tar.gz' is a direct reference",
            ),
        ),
        (
            "Metadata-Version: 2.4\nLicense: MIT\nLicense-Expression: MIT",
            ("license", "License and License-Expression are both set; keep License-Expression"),
        ),
        ("Metadata-Version: 2.4\nHome-page: not a url", ("home-page", "'not a url' is not a URL")),
        (
            "Metadata-Version: 2.4\nProject-URL: Docs, docs.example.org",
            ("project-url", "'docs.example.org' (Docs) is not a URL"),
        ),
    ],
)
def test_each_index_rule_names_the_field(tmp_path: Path, lines: str, problem: tuple[str, str]):
    head, _, rest = lines.partition("\n")
    metadata = f"{head}\nName: demo\nVersion: 1.0\n{rest}\n"
    assert index_metadata_problems(metadata_wheel(tmp_path, metadata)) == [problem]


@pytest.mark.unit
def test_fields_that_do_not_parse_are_named_by_packaging(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT OR Nope\n"
    ((field, _),) = index_metadata_problems(metadata_wheel(tmp_path, metadata))
    assert field == "license-expression"


@pytest.mark.unit
def test_name_and_version_must_agree_with_the_file_name(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.1\nName: other\nVersion: 2.0\n"
    assert index_metadata_problems(metadata_wheel(tmp_path, metadata)) == [
        ("name", "'other' disagrees with the file name demo-1.0-py3-none-any.whl"),
        ("version", "2.0 disagrees with the file name demo-1.0-py3-none-any.whl"),
    ]


@pytest.mark.unit
def test_twine_warning_only_with_release_and_only_beyond_what_twine_reads(tmp_path: Path) -> None:
    for version, release, expected in [("2.5", True, 1), ("2.5", False, 0), ("2.4", True, 0)]:
        metadata = f"Metadata-Version: {version}\nName: demo\nVersion: 1.0\n"
        directory = tmp_path / f"{version}-{release}"
        directory.mkdir()
        wheel = metadata_wheel(directory, metadata)
        ctx = CheckContext(wheel=wheel, release=release)
        assert len(list(twine_refuses(ctx))) == expected, (version, release)


# --- hand-built wheels: the archive and the WHEEL file ---------------------------------------------


def record_line(name: str, data: bytes) -> str:
    digest = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def handmade(tmp_path: Path, file_name: str, wheel_file: str, entry_points: str = "") -> Path:
    dist_info = "demo-1.0.dist-info"
    files = {
        "demo/__init__.py": b"",
        f"{dist_info}/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        f"{dist_info}/WHEEL": wheel_file.encode(),
    }
    if entry_points:
        files[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = "".join(f"{record_line(n, d)}\n" for n, d in files.items()) + f"{dist_info}/RECORD,,\n"
    path = tmp_path / file_name
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr(f"{dist_info}/RECORD", record)
    return path


GOOD_WHEEL_FILE = "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def test_a_wheel_for_another_platform_is_mc607_and_exit_0_never_mc002(tmp_path: Path) -> None:
    wheel_file = (
        "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: false\nTag: cp38-cp38-win_amd64\n"
    )
    wheel = handmade(tmp_path, "demo-1.0-cp38-cp38-win_amd64.whl", wheel_file)
    report = check_wheel(wheel)
    assert [(f.code, f.path) for f in report.findings] == [
        ("MC607", "demo-1.0-cp38-cp38-win_amd64.whl")
    ]
    assert "cp38-cp38-win_amd64" in report.findings[0].message
    assert report.exit_code == 0
    assert report.modules.imported == 0


@pytest.mark.parametrize(
    ("wheel_file", "message"),
    [
        (
            "Wheel-Version: 1.0\nGenerator: hand\nTag: py3-none-any\n",
            "the WHEEL file has no Root-Is-Purelib",
        ),
        (
            "Wheel-Version: 2.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            "Wheel-Version 2.0 is not 1.x: installers refuse it",
        ),
        (
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py2.py3-none-any\n",
            "Tag 'py2.py3-none-any' is compressed; the WHEEL file lists each tag on its own line",
        ),
        (
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: cp312-cp312-linux_x86_64\n",
            "the Tag lines disagree with the file name demo-1.0-py3-none-any.whl (only in WHEEL: "
            "cp312-cp312-linux_x86_64; only in the file name: py3-none-any)",
        ),
    ],
)
def test_an_invalid_wheel_file_is_mc604_and_exit_1(tmp_path: Path, wheel_file: str, message: str):
    wheel = handmade(tmp_path, "demo-1.0-py3-none-any.whl", wheel_file)
    report = check_wheel(wheel)
    mc604 = [(f.path, f.message) for f in report.findings if f.code == "MC604"]
    assert ("demo-1.0.dist-info/WHEEL", message) in mc604
    assert report.exit_code == 1
    assert not [f for f in report.findings if f.code == "MC002"]


def test_an_entry_point_that_is_not_an_object_reference_is_mc604(tmp_path: Path) -> None:
    wheel = handmade(
        tmp_path,
        "demo-1.0-py3-none-any.whl",
        GOOD_WHEEL_FILE,
        entry_points="[console_scripts]\ndemo = demo.cli main\n",
    )
    report = check_wheel(wheel)
    assert [(f.path, f.message) for f in report.findings if f.code == "MC604"] == [
        (
            "demo-1.0.dist-info/entry_points.txt",
            "[console_scripts] demo = 'demo.cli main' is not an object reference (module:attr)",
        )
    ]


# --- license files -------------------------------------------------------------------------------


def test_a_license_file_the_metadata_names_but_the_wheel_lacks_is_mc603(tmp_path: Path) -> None:
    metadata = (
        "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT\n"
        "License-File: LICENSE\nLicense-File: NOTICE\n"
    )
    wheel = handmade(tmp_path, "demo-1.0-py3-none-any.whl", GOOD_WHEEL_FILE)
    with zipfile.ZipFile(wheel, "a") as zf:  # rewrite METADATA, ship only licenses/NOTICE
        zf.writestr("demo-1.0.dist-info/licenses/NOTICE", "notice\n")
    rebuilt = tmp_path / "rebuilt" / wheel.name
    rebuilt.parent.mkdir()
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(rebuilt, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info.filename, metadata if info.filename.endswith("METADATA") else data)
    ctx = CheckContext(wheel=WheelContents.read(rebuilt))
    from mcheck.checks.release import license_files_missing

    assert [(f.code, f.path, f.message) for f in license_files_missing(ctx)] == [
        (
            "MC603",
            "demo-1.0.dist-info/METADATA",
            "License-File LICENSE is not in the wheel (demo-1.0.dist-info/licenses/LICENSE)",
        )
    ]


def test_a_file_matched_by_license_files_but_not_shipped_is_mc603(tmp_path: Path) -> None:
    from mcheck.checks.release import license_files_missing
    from mcheck.wheel.discover import discover_project

    project = tmp_path / "project"
    (project / "demo").mkdir(parents=True)
    (project / "demo" / "__init__.py").write_text("")
    (project / "LICENSES").mkdir()
    (project / "LICENSES" / "MIT.txt").write_text("mit\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "demo"\nversion = "1.0"\nlicense-files = ["LICENSES/*.txt"]\n'
    )
    wheel = handmade(tmp_path, "demo-1.0-py3-none-any.whl", GOOD_WHEEL_FILE)
    ctx = CheckContext(wheel=WheelContents.read(wheel), project=discover_project(project))
    assert [(f.code, f.path) for f in license_files_missing(ctx)] == [("MC603", "LICENSES/MIT.txt")]


# --- the sdist that would be uploaded ---------------------------------------------------------------


def test_a_given_sdist_is_checked_as_uploaded_and_its_wheel_built_from_it(tmp_path: Path) -> None:
    import shutil

    dist = tmp_path / "dist"
    built = built_sdist(copy_sample("clean_flit", tmp_path / "project"), dist)
    assert built.name == "clean_flit-0.1.0.tar.gz"
    clean = check_wheel(built, release=True)
    assert (clean.exit_code, release_findings(clean)) == (0, [])
    assert clean.modules.imported == 2  # its wheel was built, installed and imported
    renamed = shutil.copy(built, dist / "Clean.Flit-0.1.0.tar.gz")
    report = check_wheel(Path(renamed), release=True)
    assert [(c, p) for c, p, _ in release_findings(report)] == [
        ("MC609", "Clean.Flit-0.1.0.tar.gz")
    ]
    assert report.exit_code == 0  # the index accepts it: a warning
    assert check_wheel(Path(renamed)).exit_code == 0  # only the upload cares


# --- the zip structure (https://docs.pypi.org/archives/) ----------------------------------------


def good_zip(path: Path, **writes: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (writes or {"demo/__init__.py": b"x = 1\n"}).items():
            zf.writestr(name, data)
    return path


class Unseekable:
    """A write-only stream: zipfile then streams entries with data descriptors."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("wb")

    def write(self, data: bytes) -> int:
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def test_zip_structures_the_index_rejects_are_named(tmp_path: Path) -> None:
    from mcheck.wheel.zipcheck import archive_rule_problem

    clean = good_zip(tmp_path / "clean.zip")
    assert archive_rule_problem(clean) is None

    trailing = good_zip(tmp_path / "trailing.zip")
    trailing.write_bytes(trailing.read_bytes() + b"hidden")
    prepended = tmp_path / "prepended.zip"
    prepended.write_bytes(b"#!/bin/sh\n" + clean.read_bytes())
    unprintable = good_zip(tmp_path / "unprintable.zip", **{"demo/a\x01.py": b""})
    commented = tmp_path / "commented.zip"
    with zipfile.ZipFile(commented, "w") as zf:
        info = zipfile.ZipInfo("demo/__init__.py")
        info.comment = b"smuggled"
        zf.writestr(info, b"")
    streamed = tmp_path / "streamed.zip"
    stream = Unseekable(streamed)
    with zipfile.ZipFile(stream, "w") as zf:
        zf.writestr("demo/__init__.py", b"x = 1\n")
    stream.close()

    assert archive_rule_problem(trailing) == "data after the end of the archive"
    assert archive_rule_problem(prepended) == "unknown or misplaced record at byte 0"
    assert archive_rule_problem(unprintable) == (
        "'demo/a\\x01.py' has an unprintable character in its name"
    )
    assert archive_rule_problem(commented) == (
        "'demo/__init__.py' has a comment in the central directory"
    )
    assert archive_rule_problem(streamed) == (
        "'demo/__init__.py' uses a data descriptor (a streamed zip)"
    )


def test_a_wheel_with_data_after_its_end_is_mc604_and_not_installed(tmp_path: Path) -> None:
    wheel = handmade(tmp_path, "demo-1.0-py3-none-any.whl", GOOD_WHEEL_FILE)
    wheel.write_bytes(wheel.read_bytes() + b"PK\x03\x04 a second archive")
    report = check_wheel(wheel)
    assert [(f.code, f.path, f.message) for f in report.findings] == [
        (
            "MC604",
            "demo-1.0-py3-none-any.whl",
            "the zip structure breaks the index's rules: data after the end of the archive",
        )
    ]
    assert (report.exit_code, report.modules.imported) == (1, 0)


def test_with_release_license_files_missing_from_the_sdist_are_mc603(tmp_path: Path) -> None:
    import io
    import tarfile

    from mcheck.checks.release import sdist_license_files_missing
    from mcheck.wheel.artifacts import SdistContents

    sdist = tmp_path / "demo-1.0.tar.gz"
    pkg_info = b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n"
    with tarfile.open(sdist, "w:gz") as tf:
        for name, data in (("demo-1.0/PKG-INFO", pkg_info), ("demo-1.0/demo/__init__.py", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    wheel = handmade(tmp_path, "demo-1.0-py3-none-any.whl", GOOD_WHEEL_FILE)
    contents = SdistContents.read(sdist)
    ctx = CheckContext(wheel=WheelContents.read(wheel), sdist=contents)
    assert list(sdist_license_files_missing(ctx, contents)) == []  # only with --release
    ctx.release = True
    assert [(f.code, f.path, f.message) for f in sdist_license_files_missing(ctx, contents)] == [
        ("MC603", "demo-1.0.tar.gz:PKG-INFO", "License-File LICENSE is not in the sdist")
    ]


def test_a_wheel_whose_file_name_does_not_parse_is_mc604_and_not_installed(tmp_path: Path) -> None:
    wheel = handmade(tmp_path, "demo-1.0-py3-none-any.whl", GOOD_WHEEL_FILE)
    renamed = wheel.rename(tmp_path / "demo-1.0-py3-any.whl")  # a tag missing
    report = check_wheel(renamed)
    mc604 = [(f.path, f.message.split(":")[0]) for f in report.findings if f.code == "MC604"]
    assert ("demo-1.0-py3-any.whl", "the file name is not a valid wheel name") in mc604
    assert (report.exit_code, report.modules.imported) == (1, 0)
    assert not [f for f in report.findings if f.code == "MC002"]


@pytest.mark.unit
def test_license_file_under_an_old_metadata_version_is_a_release_gate_finding(
    tmp_path: Path,
) -> None:
    """setuptools < 77 writes License-File under Metadata-Version 2.1 (Django 5.1.4 pins such a
    setuptools): uv publish gets a 400 for it, twine leaves the field out. The release gate says so
    with the fix; a plain run, which judges the wheel and not the uploader, does not."""
    wheel = metadata_wheel(
        tmp_path, "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n"
    )
    assert index_metadata_problems(wheel, release=False) == []
    ((field, problem),) = index_metadata_problems(wheel, release=True)
    assert field == "license-file"
    assert problem.startswith("license-file introduced in metadata version 2.4, not 2.1: ")
    assert "uv publish" in problem
    assert "setuptools>=77" in problem


def test_a_sdist_name_that_is_not_normalised_warns_only_with_release(released):
    name = "release_sdist_name_not_normalised"
    [(_, _, message)] = release_findings(released(name, True))
    assert message.startswith(
        "Release.Sdist_Name-1.0.tar.gz is not normalised as PEP 625 asks: "
        "release_sdist_name-1.0.tar.gz"
    )
    assert released(name, True).exit_code == 0
    assert release_findings(released(name, False)) == []
