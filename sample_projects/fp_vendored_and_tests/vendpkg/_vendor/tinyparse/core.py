from tinyparse import lexer


def parse(text: str) -> list[str]:
    return lexer.tokens(text)
