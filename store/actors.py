"""Who makes a change (events.md): `client:<client_id>` (an API call), `cli` (a `cs`
command), `app` or `app:<label>` (a host app calling the store), `import:<host>`."""

CLI = "cli"
APP = "app"
CLIENT_PREFIX = "client:"
IMPORT_PREFIX = "import:"


def client_actor(client_id):
    return f"{CLIENT_PREFIX}{client_id}"


def client_of(actor):
    """The client_id of an API call's actor, else None."""
    if actor and actor.startswith(CLIENT_PREFIX):
        return actor[len(CLIENT_PREFIX) :]
    return None


def import_actor(host):
    return f"{IMPORT_PREFIX}{host}"


def is_import(actor):
    """Whether `actor` is an import's: its events are `imported` (events.md §1)."""
    return bool(actor) and actor.startswith(IMPORT_PREFIX)
