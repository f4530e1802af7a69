"""Dispatches a command: `match` does not parse before Python 3.10."""


def run(command: str) -> str:
    match command.split():
        case ["hello", name]:
            return f"hello {name}"
        case _:
            return "unknown"
