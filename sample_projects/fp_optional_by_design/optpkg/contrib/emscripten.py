"""Fetch for Pyodide, where the `js` module bridges to the browser."""

import js


def fetch(url: str) -> object:
    return js.fetch(url)
