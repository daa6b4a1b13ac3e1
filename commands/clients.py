"""`cs client`: integrations allowed to ask for tokens."""

import click

from api.auth.tokens import digest, new_client_id, new_secret
from commands.common import with_store
from models.base import db, utcnow
from models.clients import ALL_SCOPES, ApiClient


def _scopes(values):
    scopes = [scope for value in values for scope in value.replace(",", " ").split()]
    unknown = sorted(set(scopes).difference(ALL_SCOPES))
    if unknown:
        raise click.BadParameter(
            f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}"
        )
    return [scope for scope in ALL_SCOPES if scope in scopes] or list(ALL_SCOPES)


def create_client(name, scopes=ALL_SCOPES):
    """Create an integration; returns (client, secret). The secret is not stored."""
    secret = new_secret()
    client = ApiClient.create(
        name=name,
        client_id=new_client_id(),
        secret_digest=digest(secret),
        scopes=" ".join(scopes),
    )
    return client, secret


def _get(client_id):
    client = ApiClient.get_or_none(ApiClient.client_id == client_id)
    if client is None:
        raise click.ClickException(f"no integration with client_id {client_id}")
    return client


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
    scopes = _scopes(scope_values)
    with db.connection_context(), db.atomic():
        client, secret = create_client(name, scopes)
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo(f"scopes:        {' '.join(scopes)}")
    click.echo("The secret is shown only now: store it safely.")


@group.command("list")
@with_store
def list_command():
    """List integrations."""
    with db.connection_context():
        for client in ApiClient.select().order_by(ApiClient.id):
            state = "revoked" if client.revoked_at else "active"
            click.echo(f"{client.client_id}  {state:7}  {client.name}  [{client.scopes}]")


@group.command("revoke")
@click.argument("client_id")
@with_store
def revoke_command(client_id):
    """Revoke an integration: its tokens stop working on their very next request."""
    with db.connection_context(), db.atomic():
        client = _get(client_id)
        ApiClient.update(revoked_at=utcnow()).where(
            ApiClient.id == client.id, ApiClient.revoked_at.is_null()
        ).execute()
    click.echo(f"revoked {client_id}")


@group.command("rotate")
@click.argument("client_id")
@with_store
def rotate_command(client_id):
    """Give an integration a new secret; the old one stops working at once."""
    secret = new_secret()
    with db.connection_context(), db.atomic():
        client = _get(client_id)
        if client.revoked_at is not None:
            raise click.ClickException(f"{client_id} is revoked")
        ApiClient.update(secret_digest=digest(secret), secret_rotated_at=utcnow()).where(
            ApiClient.id == client.id
        ).execute()
    click.echo(f"client_id:     {client_id}")
    click.echo(f"client_secret: {secret}")
