def tokens(text: str) -> list[str]:
    return text.split()
