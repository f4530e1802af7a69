"""Rendered by deskkit when it creates an environment: the placeholders are filled in."""

BIN_NAME = __BIN_NAME__
PROMPT = __VIRTUAL_PROMPT__
