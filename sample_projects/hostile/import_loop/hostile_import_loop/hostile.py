"""Never finishes importing (a busy loop at module level)."""

while True:
    pass
