"""Write the benchmark store's change feed through the store's own operations, so that its
rows are those the service writes: order fulfilment updates, single stock changes and bulk
stock syncs by two integrations: --events of them (ids 1 to --events in a store without
events).

    DATABASE_URL=... python bench/feed.py --events 20000 --spare-order 50007

The store's clock is replaced by one that moves on by a fixed step at every reading, and
every choice is seeded: the same store gets the same rows on SQLite and on PostgreSQL, whose
bodies bench/run.py compares byte for byte. The records the comparison with the floor reads
(product page 1, order pages 1 and DEEP_PAGE, the order given by --spare-order) are left
alone: the floor's own store has no feed. Run on a store that has the feed, it does nothing.
"""

import argparse
import datetime
import hashlib
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peewee import PostgresqlDatabase, fn  # noqa: E402

import models.base  # noqa: E402
from app import create_app  # noqa: E402
from bench.floor import DEEP_PAGE  # noqa: E402
from config import EXTENSION  # noqa: E402
from models.base import db  # noqa: E402
from models.catalog import Product, Variation  # noqa: E402
from models.clients import ApiClient  # noqa: E402
from models.events import Event, EventMark  # noqa: E402
from models.orders import Order  # noqa: E402
from store import orders, products, stock_bulk  # noqa: E402
from store.actors import client_actor  # noqa: E402
from store.clients import digest, new_secret  # noqa: E402
from store.stock import StockChange, set_stock_by_sku  # noqa: E402

SEED = 20261127
# The feed's first instant (naive UTC) and how far the clock moves at each reading: about
# two weeks of changes.
START = datetime.datetime(2026, 11, 2, 14, 0, 0, 123456)
STEP = datetime.timedelta(seconds=41, microseconds=270_389)
# The integrations making the changes (their client ids are part of each event's actor).
CLIENTS = {"fulfilment": "Fulfilment (feed)", "warehouse": "Warehouse sync (feed)"}
SHIPPING_HANDLES = ("processing", "shipped", "delivered")


class Clock:
    """models.base.utcnow's stand-in: START, then one STEP later at every reading."""

    def __init__(self):
        self.now = START

    def __call__(self):
        self.now += STEP
        return self.now


def pin_clock(clock):
    """Every store module reads the time through its own `utcnow` name: point them all at
    `clock` (column defaults captured at import are not used by the writes here)."""
    real = models.base.utcnow
    for module in list(sys.modules.values()):
        if getattr(module, "utcnow", None) is real:
            module.utcnow = clock


def client_id(key):
    return hashlib.sha256(f"{SEED}:{key}".encode()).hexdigest()[:32]


def spared(settings, spare_order):
    """(order ids, product ids) the comparison with the floor reads."""
    order_ids = {spare_order}
    for page in (1, DEEP_PAGE):
        order_ids |= {o["id"] for o in orders.list_orders(orders.OrderFilters(), page, 20,
                                                           settings).items}  # fmt: skip
    product_ids = {p["id"] for p in products.list_products((), 1, 20, settings).items}
    return order_ids, product_ids


def candidates(spare_orders, spare_products):
    """The order ids and SKUs the feed changes, in a fixed order."""
    order_ids = [i for (i,) in Order.select(Order.id).order_by(Order.id).tuples()
                 if i not in spare_orders]  # fmt: skip
    skus = [s for s, p in Product.select(Product.sku, Product.id).tuples()
            if s and p not in spare_products]  # fmt: skip
    skus += [s for s, p in Variation.select(Variation.sku, Variation.product).tuples()
             if s and p not in spare_products]  # fmt: skip
    return order_ids, sorted(skus)


def add_clients(clock):
    """The two integrations, with fixed ids (their secrets are thrown away)."""
    for key, name in CLIENTS.items():
        ApiClient.create(name=name, client_id=client_id(key), secret_digest=digest(new_secret()),
                         scopes="cs:orders:read cs:orders:write cs:products:read "
                         "cs:products:write", created_at=clock())  # fmt: skip


def last_event():
    return EventMark.get_by_id("last").value


def write(settings, count, spare_order):
    """Write `count` events; {event type: count}."""
    clock = Clock()
    pin_clock(clock)
    rng = random.Random(SEED)
    order_ids, skus = candidates(*spared(settings, spare_order))
    add_clients(clock)
    fulfilment = client_actor(client_id("fulfilment"))
    warehouse = client_actor(client_id("warehouse"))
    first, written = last_event(), 0
    # Of the events, about 40 % order updates, 30 % single stock changes, 30 % stocktakes.
    # Each order update and single change writes one (a new tracking code, an adjustment).
    while (remaining := count - written) > 0:
        roll = rng.random()
        if roll < 0.565:
            # A parcel handed to the carrier, or delivered: status and tracking code.
            change = {"handle": rng.choice(SHIPPING_HANDLES),
                      "tracking_code": f"1Z{rng.randrange(10**12):012d}"}  # fmt: skip
            orders.update_fulfilment(rng.choice(order_ids), change, fulfilment, settings)
            written += 1
        elif roll < 0.988:
            # A sale or a return counted by the warehouse.
            amount = rng.choice((-3, -2, -1, -1, -1, 1, 2))
            set_stock_by_sku(rng.choice(skus), StockChange.of(adjustment=amount), warehouse)
            written += 1
        else:
            # A stocktake of a few dozen SKUs.
            lines = [{"sku": sku, "stock_level": rng.randint(0, 500)}
                     for sku in rng.sample(skus, min(remaining, rng.randint(10, 60)))]  # fmt: skip
            written += stock_bulk.apply_stock_lines(lines, warehouse, settings).meta["changed"]
    if last_event() - first != count:
        raise SystemExit(f"wrote {last_event() - first} events, not {count}")
    counted = Event.select(Event.type, fn.COUNT(Event.id)).group_by(Event.type).order_by(Event.type)
    return dict(counted.tuples())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--spare-order", type=int, required=True,
                        help="an order the comparison with the floor reads")  # fmt: skip
    args = parser.parse_args()
    app = create_app()
    state = app.extensions[EXTENSION]
    with state.session():
        if ApiClient.select().where(ApiClient.client_id == client_id("warehouse")).exists():
            if last_event() < args.events:
                raise SystemExit("the feed was not finished: rebuild the store (run.py --rebuild)")
            print(json.dumps({"feed": "already written"}))
            return
        if last_event():
            raise SystemExit("the store has events but no feed: rebuild it (run.py --rebuild)")
        started = time.perf_counter()
        if isinstance(db.obj, PostgresqlDatabase):
            # The store's rows do not depend on it; a flush per transaction would be most of
            # the time taken.
            db.execute_sql("SET synchronous_commit TO off")
            # A store just loaded has no statistics yet (each run's copy is analysed anyway):
            # without them its plans make the feed several times slower to write.
            db.execute_sql("ANALYZE")
        counts = write(state.settings, args.events, args.spare_order)
    print(json.dumps({"feed": counts, "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
