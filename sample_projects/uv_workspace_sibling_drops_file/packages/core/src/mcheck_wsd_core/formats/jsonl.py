"""No __init__.py in formats/: setuptools' find_packages skips this subpackage."""

import json


def dump(rows):
    return "\n".join(json.dumps(row) for row in rows)
