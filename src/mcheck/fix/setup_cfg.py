"""Edits of setuptools' declarative ``setup.cfg``, with configupdater: only the option a fix
touches changes; comments, order and the other options stay as they are.

setuptools reads its list options in two shapes: one item per indented line under the key (the
common one, which the edit extends in the same indentation) or a single line (comma-separated for
``packages`` and ``package_data`` globs, ``;`` for ``install_requires``), which the edit extends
with the same separator. A value setuptools computes (``packages = find:``, ``file:``, ``attr:``)
is not a list: :func:`list_option` returns None and there is no edit.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from configupdater import ConfigUpdater

from mcheck.findings import Edit

SETUP_CFG = "setup.cfg"
OPTIONS = "options"
PACKAGE_DATA = "options.package_data"
# the single-line separator of each list option setuptools documents
SEPARATORS = {"install_requires": ";", "py_modules": ",", "packages": ","}
COMPUTED = ("find:", "find_namespace:", "file:", "attr:")


def read_setup_cfg(root: Path) -> str | None:
    """The text of ``root/setup.cfg`` when it configures setuptools (has an ``[options]`` or
    ``[metadata]`` section), else None."""
    try:
        text = (root / SETUP_CFG).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return text if parser.has_section(OPTIONS) or parser.has_section("metadata") else None


def list_option(text: str, key: str, section: str = OPTIONS) -> list[str] | None:
    """The items of ``[section] key`` when it is a literal list; [] when absent; None when the
    value is computed or the file does not parse."""
    updater = _parse(text)
    if updater is None:
        return None
    if not updater.has_option(section, key):
        return []
    value = (updater[section][key].value or "").strip()
    if value.startswith(COMPUTED):
        return None
    return _items(value, SEPARATORS.get(key, ","))


def has_option(text: str, key: str, section: str = OPTIONS) -> bool:
    updater = _parse(text)
    return updater is not None and updater.has_option(section, key)


def option_is_true(text: str, key: str, section: str = OPTIONS) -> bool:
    updater = _parse(text)
    if updater is None or not updater.has_option(section, key):
        return False
    return (updater[section][key].value or "").strip().lower() in ("true", "1", "yes", "on")


def append_item(key: str, item: str, section: str = OPTIONS) -> Edit:
    """``item`` added to the list ``[section] key`` (the section and the option created when
    missing), in the shape the option already has."""

    def change(old: str | None) -> str:
        updater = _parse(old or "")
        if updater is None:
            raise ValueError(f"{SETUP_CFG} does not parse")
        if not updater.has_section(section):
            updater.add_section(section)
            if len(updater.sections()) > 1:  # a blank line between it and the section before
                updater[section].add_before.space()
        options = updater[section]
        if key not in options:
            options[key] = item
            return str(updater)
        option = options[key]
        value = option.value or ""
        separator = SEPARATORS.get(key, ",")
        if item in _items(value, separator):
            return old or ""
        if value.startswith("\n") or not value.strip():
            option.append(item)
        else:
            option.value = f"{value.rstrip()}{separator} {item}"
        return str(updater)

    return Edit(SETUP_CFG, change)


def _parse(text: str) -> ConfigUpdater | None:
    updater = ConfigUpdater()
    try:
        updater.read_string(text)
    except configparser.Error:
        return None
    return updater


def _items(value: str, separator: str) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in value.splitlines()]
    return [part.strip() for line in lines for part in line.split(separator) if part.strip()]
