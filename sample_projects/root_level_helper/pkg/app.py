"""Works from the checkout (repository root on sys.path), fails after a normal install."""

import helpers


def greet(name: str) -> str:
    return helpers.shout(f"hello {name}")
