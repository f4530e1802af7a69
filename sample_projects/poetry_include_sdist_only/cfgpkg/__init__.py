"""Reads its defaults at call time from next to the package, where the wheel never puts them."""

import json
from pathlib import Path


def defaults() -> dict:
    return json.loads((Path(__file__).parent.parent / "base_config.json").read_text())
