"""The command line; click comes with the `cli` extra, and the command says so when it is missing."""

import sys

try:
    import click
except ImportError:
    sys.stderr.write('It seems optdemo is not installed with cli option. \n'
                     'Run pip install "mcheck-sample-fp-optional-by-design[cli]" to fix this.\n')
    sys.exit(1)


@click.command()
def main() -> None:
    click.echo("hello")
