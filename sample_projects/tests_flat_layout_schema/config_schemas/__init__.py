"""Validates configuration documents against the bundled JSON schemas."""

import json
from pathlib import Path

HERE = Path(__file__).parent


def schema(version: int) -> dict:
    return json.loads((HERE / "schemas" / f"v{version}.json").read_text(encoding="utf-8"))


def required_keys(version: int) -> list[str]:
    return list(schema(version)["required"])
