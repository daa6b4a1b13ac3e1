"""`cs client`: integrations allowed to ask for tokens."""

import click

from commands.common import with_store
from store import clients, token_failures


@click.group("client")
def group():
    """Create, list, revoke integrations and rotate their secrets."""


@group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scope_values",
    multiple=True,
    help="Allowed scope (repeatable, or space-separated); default all five.",
)
@with_store
def create_command(name, scope_values):
    """Create an integration and print its client_id and secret (shown only once)."""
    scopes = clients.parse_scopes(scope_values)
    client, secret = clients.create_client(name, scopes)
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo(f"scopes:        {' '.join(scopes)}")
    click.echo("The secret is shown only now: store it safely.")


@group.command("list")
@with_store
def list_command():
    """List integrations."""
    for client in clients.list_clients():
        state = "revoked" if client.revoked_at else "active"
        click.echo(f"{client.client_id}  {state:7}  {client.name}  [{client.scopes}]")


@group.command("revoke")
@click.argument("client_id")
@with_store
def revoke_command(client_id):
    """Revoke an integration: its tokens stop working on their very next request."""
    clients.revoke_client(client_id)
    click.echo(f"revoked {client_id}")


@group.command("rotate")
@click.argument("client_id")
@with_store
def rotate_command(client_id):
    """Give an integration a new secret; the old one stops working at once."""
    secret = clients.rotate_secret(client_id)
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {secret}")


@group.command("unlock")
@click.argument("client_id", required=False)
@click.option("--address", default=None, help="Only failures from this address (an IPv6 /64).")
@with_store
def unlock_command(client_id, address):
    """Forget failed token requests: a client's (from one address or all), or an address's."""
    if client_id is None and address is None:
        raise click.UsageError("name a CLIENT_ID, an --address, or both")
    forgotten = token_failures.clear(client_id, address)
    click.echo(f"forgot {forgotten} failed token request(s)")
