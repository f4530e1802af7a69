"""``mcheck explain`` and the generated docs/codes.md, which must never drift from the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcheck.catalogue import CATALOGUE
from mcheck.errors import UsageError
from mcheck.explain import (
    dedent_example,
    explain,
    explain_list,
    fold_prose,
    main,
    nearest_code,
    render_codes_markdown,
)

pytestmark = pytest.mark.unit  # no build, no venv: the seconds-long loop (`pytest -m unit`)

CODES_MD = Path(__file__).resolve().parents[1] / "docs" / "codes.md"


def test_docs_codes_md_is_up_to_date() -> None:
    assert CODES_MD.read_text(encoding="utf-8") == render_codes_markdown(), (
        "docs/codes.md is stale; run: python -m mcheck.explain --write-docs"
    )


def test_docs_codes_md_has_a_section_for_every_code() -> None:
    text = CODES_MD.read_text(encoding="utf-8")
    assert (
        text.startswith("<!-- Generated ")
        and "python -m mcheck.explain --write-docs" in text.splitlines()[0]
    )
    for code, info in CATALOGUE.items():
        assert f"\n## {code}\n" in text, code
        assert f"| [{code}](#{code.lower()}) |" in text, code
        assert info.title in text, code


def test_explain_contains_everything_about_a_code() -> None:
    info = CATALOGUE["MC202"]
    out = explain("MC202")
    assert out.startswith(f"MC202: {info.title}\nseverity: error   stage: analyse\n")
    assert "Why it happens" in out and "pycryptodome" in out
    assert (
        "    from Crypto.Cipher import AES" in out
    )  # the before block, re-indented for the terminal
    assert "    from Cryptodome.Cipher import AES" in out.split("After (fixed)")[1]


def test_explain_accepts_any_case_and_whitespace() -> None:
    assert explain(" mc101 ") == explain("MC101")


@pytest.mark.parametrize(
    ("typo", "nearest"), [("MC10", "MC101"), ("MC2022", "MC202"), ("MC-304", "MC304")]
)
def test_unknown_code_suggests_the_nearest(typo: str, nearest: str) -> None:
    with pytest.raises(UsageError, match=rf"unknown code '{typo}'; did you mean {nearest}\?"):
        explain(typo)


def test_unknown_code_without_a_close_match_suggests_nothing() -> None:
    assert nearest_code("banana") is None
    with pytest.raises(UsageError) as excinfo:
        explain("banana")
    assert "did you mean" not in str(excinfo.value) and "--list" in str(excinfo.value)


def test_explain_list_has_one_line_per_code() -> None:
    lines = explain_list().splitlines()
    assert [line.split()[0] for line in lines] == list(CATALOGUE)
    assert re.fullmatch(r"MC101  error    diff      .+", lines[list(CATALOGUE).index("MC101")])


def test_catalogue_prose_is_folded_and_examples_dedented() -> None:
    assert fold_prose("first line\n        second\n\n        new paragraph\n") == (
        "first line second\n\nnew paragraph"
    )
    assert dedent_example("        a = 1\n          b = 2\n") == "a = 1\n  b = 2"


def test_main_writes_and_checks_docs(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "codes.md"
    assert main(["--check", str(target)]) == 1
    assert main(["--write-docs", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_codes_markdown()
    assert main(["--check", str(target)]) == 0
    assert main(["--bogus"]) == 2
