"""`cs demo`: fill the store with realistic demo data."""

import click


@click.command("demo")
def demo():
    """Fill the store with deterministic demo data."""
    raise click.ClickException("not available yet")
