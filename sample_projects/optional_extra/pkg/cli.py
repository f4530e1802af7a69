"""Needs the `cli` extra: `pip install mcheck-sample-optional-extra[cli]`."""

import click


@click.command()
def main() -> None:
    click.echo("hello")
