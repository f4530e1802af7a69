"""Never finishes importing (think: a blocking call at import time)."""

while True:
    pass
