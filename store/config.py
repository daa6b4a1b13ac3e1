"""The store's configuration document: currency, versions and time zone (config.md)."""

# The service version, shown by GET /config and in the OpenAPI document.
__version__ = "1.0.0"


def store_config(settings):
    return {
        "currency": {
            "code": settings.currency_code,
            "symbol": settings.currency_symbol,
            "decimal_digits": settings.currency_digits,
        },
        "community_store": {"version": __version__},
        "community_store_api": {"version": __version__},
        "system": {"time_zone": settings.timezone_name},
    }
