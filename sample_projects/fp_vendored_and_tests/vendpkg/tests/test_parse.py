import mock
import pytest

from vendpkg import parse


@pytest.mark.parametrize("text", ["a b"])
def test_parse(text: str) -> None:
    assert parse(text) == ["a", "b"]
    assert mock.sentinel.value is not None
