"""``python -m mcheck`` and the ``mcheck`` command. Signals are handled before the slow imports of the
command line, so a Ctrl-C during start-up ends it with the usual line and status."""

from mcheck.errors import exit_on_signals


def main() -> None:
    exit_on_signals()
    from mcheck.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
