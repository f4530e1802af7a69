"""Asks a question at import time: there is nobody to answer, it must not hang."""

ANSWER = input("database password? ")
