"""Reading a source store through its v1 API: which kind of store it is, whether its
settings match this store's, and its listings."""

from urllib.parse import urlsplit

from store.actors import import_actor
from store.errors import StoreError

SERVICE = "community-store-api-python"
ORIGINAL = "community-store-api-php"
# Keys only the full view has (manage.md §2): their presence tells this service apart.
FULL_ORDER_KEY = "status_history"
FULL_PRODUCT_KEY = "weight"


class ImportRefused(StoreError):
    """The source cannot be copied into this store as it is configured."""


def source_key(url):
    """The source's identity in the provenance table: its URL without a trailing slash."""
    return url.rstrip("/")


def actor_for(url):
    """Who the import's writes are made by (events.md): `import:<host>`."""
    return import_actor(urlsplit(url).netloc)


def first(source, path, **params):
    """The first record of a listing, or None."""
    page = next(source.pages(path, {**params, "paging": 1}))
    return page.items[0] if page.items else None


def probe(source):
    """(flavour, a sample order or None): asks for the full view, which only this service
    gives (the original ignores the parameter)."""
    order = first(source, "/orders", view="full") or first(
        source, "/orders", view="full", paymentStatus="incomplete"
    )
    product = first(source, "/products", view="full")
    samples = [(order, FULL_ORDER_KEY), (product, FULL_PRODUCT_KEY)]
    if any(record is not None and key not in record for record, key in samples):
        return ORIGINAL, order
    return SERVICE, order


def check_settings(source, settings, sample_order):
    """ImportRefused naming the settings to change when the source shows dates, money or
    VAT numbers otherwise than this store would (GET bytes depend on them)."""
    config = source.get("/config")["data"]
    theirs = {
        "STORE_CURRENCY": config["currency"]["code"],
        "STORE_TIMEZONE": config["system"]["time_zone"],
    }
    ours = {"STORE_CURRENCY": settings.currency_code, "STORE_TIMEZONE": settings.timezone_name}
    if sample_order is not None:
        billing = (sample_order.get("customer") or {}).get("billing") or {}
        theirs["STORE_VAT_NUMBER"] = "1" if "vat_number" in billing else "0"
        ours["STORE_VAT_NUMBER"] = "1" if settings.vat_number else "0"
    differ = [name for name in theirs if str(theirs[name]) != str(ours[name])]
    if differ:
        wanted = ", ".join(f"{name}={theirs[name]} (here {ours[name]})" for name in differ)
        raise ImportRefused(
            f"The source store's settings differ from this store's: set {wanted} "
            "(CS_-prefixed when embedded in a Flask app) and run the import again; "
            "nothing was written."
        )
