"""``python -m mcheck`` and the ``mcheck`` command. Signals are handled before the slow imports of the
command line, so a Ctrl-C during start-up ends it with the usual line and status."""

from mcheck.errors import exit_on_signals, ignore_signals


def main() -> None:
    exit_on_signals()
    from mcheck.cli import main as cli_main

    try:
        cli_main()
    finally:
        # The run is over (its report written, its files removed, its threads joined). Python's own
        # shutdown puts the default handlers back for every handler it installed, so a signal now
        # would turn the run's exit status into "killed by SIGINT": ignore them for the last moment.
        ignore_signals()


if __name__ == "__main__":
    main()
