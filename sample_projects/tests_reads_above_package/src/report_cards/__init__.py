"""Renders report cards from the repository's shared templates directory."""

import os

# templates/ sits at the repository root, two levels above this file in the source tree. Installed,
# this path points beside site-packages, where no wheel puts anything.
TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "..", "templates")


def render(student: str) -> str:
    with open(os.path.join(TEMPLATES, "card.txt"), encoding="utf-8") as fh:
        return fh.read().format(student=student)
