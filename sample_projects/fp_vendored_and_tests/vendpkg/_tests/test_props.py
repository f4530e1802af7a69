from hypothesis import given, strategies

from vendpkg import parse


@given(strategies.text())
def test_parse_never_raises(text: str) -> None:
    parse(text)
