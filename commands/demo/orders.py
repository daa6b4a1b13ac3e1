"""Demo orders: items copied from the catalogue, payments, fulfilment and its history."""

import bisect
import datetime
import string
from decimal import Decimal

import orjson

from commands.demo.people import customer, fill, person
from commands.demo.rules import (
    CANCEL_REASON,
    CARRIERS,
    DIGITAL_PATHS,
    DISCOUNTS,
    GIFT_MESSAGES,
    GUARANTEED,
    METHODS,
    NO_DELIVERY_REASONS,
    NOTES,
    PATHS,
    PAYMENT_SHARES,
    PROGRESS,
    REFERRALS,
    RETURN_REASONS,
    STEP_HOURS,
)
from models.orders import (
    ADDRESS_FIELDS,
    Order,
    OrderAttribute,
    OrderItem,
    OrderItemOption,
    OrderStatusHistory,
)

CENT = Decimal("0.01")
QUANT = Decimal("0.0001")
ORDER_SPAN = datetime.timedelta(days=730)
ALNUM = string.ascii_letters + string.digits


def seconds(rng, low, high):
    return datetime.timedelta(seconds=rng.randint(low, high))


def hours(rng, low, high):
    return datetime.timedelta(seconds=rng.randint(low * 3600, high * 3600))


def token(rng, length):
    return "".join(rng.choice(ALNUM) for _ in range(length))


class Orders:
    """Generates orders, oldest first, into `rows`; every total is items + shipping + tax
    - discount, every status history ends in the order's status."""

    def __init__(self, rng, ids, rows, until, products, statuses, count):
        self.rng = rng
        self.ids = ids
        self.rows = rows
        self.until = until
        self.statuses = statuses
        self.customers = [customer(rng, n + 1) for n in range(max(1, count // 3))]
        physical = [p for p in products if p.shippable]
        digital = [p for p in products if not p.shippable]
        self.pools = {
            True: (physical, [p.date_added for p in physical]),
            False: (digital, [p.date_added for p in digital]),
        }
        # The guaranteed cases go to orders spread over the last quarter of the period.
        stride = max(1, count // (4 * len(GUARANTEED)))
        self.forced = {count - 1 - n * stride: case for n, case in enumerate(GUARANTEED)}

    def placement_times(self, count):
        start = self.until - ORDER_SPAN
        span = int(ORDER_SPAN.total_seconds())
        return [
            start + datetime.timedelta(seconds=offset, microseconds=self.rng.randrange(10**6))
            for offset in sorted(self.rng.randrange(span) for _ in range(count))
        ]

    def order(self, index, placed):
        rng = self.rng
        payment, forced_status = self.forced.get(index, (None, None))
        payment = payment or self._payment()
        buyer = self.customers[int(len(self.customers) * rng.random() ** 1.5)]
        shippable = forced_status is not None or rng.random() < 0.88
        lines = self._lines(placed, shippable)
        shippable = any(line["product"].shippable for line in lines)
        method = self._method(payment, buyer)
        order_id = self.ids.take(Order)
        row = dict.fromkeys(ORDER_FIELDS)
        row.update(id=order_id, placed_at=placed, locale=buyer.locale, payment_method=method[0])
        self._customer(row, buyer, shippable)
        self._pay(row, payment, method, placed)
        path = self._path(row, payment, forced_status, shippable, placed)
        times = self._timeline(row, path, placed)
        self._settle(row, payment, path, times[-1])
        discount_code = self._money(row, lines, buyer, shippable)
        if shippable and "shipped" in path:
            self._tracking(row, order_id)
        row["status"] = self.statuses[path[-1]]
        row["updated_at"] = max(
            t for t in (*times, row["paid_at"], row["refunded_at"], row["cancelled_at"]) if t
        )
        self.rows.add(Order, **row)
        self._items(order_id, lines)
        self._attributes(order_id, row, shippable, discount_code)
        for handle, when in zip(path, times, strict=True):
            self.rows.add(
                OrderStatusHistory,
                id=self.ids.take(OrderStatusHistory),
                order=order_id,
                status=self.statuses[handle],
                handle=handle,
                changed_at=when,
                client=None,
                actor=None,
            )

    def _payment(self):
        roll = self.rng.random()
        for state, share in PAYMENT_SHARES:
            if roll < share:
                return state
            roll -= share
        return "open"

    def _method(self, payment, buyer):
        rng = self.rng
        allowed = {
            "pending": ("offsite",),
            "refunded": ("card", "offsite"),
            "paid": ("card",),
            "unpaid": ("transfer", "invoice") if buyer.person.company else ("transfer",),
        }.get(payment)
        methods = [
            m
            for m in METHODS
            if (allowed is None or m[1] in allowed) and (m[1] != "invoice" or buyer.person.company)
        ]
        return rng.choices(methods, weights=[m[2] for m in methods])[0]

    def _customer(self, row, buyer, shippable):
        row.update(
            customer_email=buyer.email,
            customer_username=buyer.username,
            vat_number=buyer.vat_number,
        )
        self._person(row, "billing", buyer.person)
        if shippable:
            receiver = buyer.person
            if self.rng.random() < 0.15:
                receiver = person(self.rng, buyer.country)  # a gift, sent elsewhere
            self._person(row, "shipping", receiver)

    @staticmethod
    def _person(row, prefix, who):
        row[f"{prefix}_first_name"] = who.first_name
        row[f"{prefix}_last_name"] = who.last_name
        row[f"{prefix}_company"] = who.company
        row[f"{prefix}_phone"] = who.phone
        for name, value in zip(ADDRESS_FIELDS, who.address, strict=True):
            row[f"{prefix}_{name}"] = value

    def _pay(self, row, payment, method, placed):
        rng = self.rng
        kind = method[1]
        if kind == "offsite":
            row["external_payment_requested_at"] = placed + seconds(rng, 2, 20)
        if kind == "invoice":
            row["payment_reference"] = f"INV-{placed.year}-{row['id']:06d}"
        if payment in ("pending", "unpaid") or (kind == "invoice" and rng.random() < 0.04):
            return
        paid = {
            "card": lambda: placed + seconds(rng, 5, 90),
            "offsite": lambda: row["external_payment_requested_at"] + seconds(rng, 30, 900),
            "transfer": lambda: placed + hours(rng, 20, 96),
            "invoice": lambda: placed + hours(rng, 240, 1080),
        }[kind]()
        if paid > self.until:
            if payment not in ("paid", "refunded"):
                return  # not paid yet
            paid = self._before_end(placed)
        row["paid_at"] = paid
        row["payment_reference"] = (
            row["payment_reference"]
            or {
                "card": lambda: "ch_" + token(rng, 24),
                "offsite": lambda: f"{method[0][:2].upper()}-{token(rng, 17).upper()}",
                "transfer": lambda: "TRF-" + fill(rng, "##########"),
            }[kind]()
        )

    def _path(self, row, payment, forced_status, shippable, placed):
        rng = self.rng
        paths = PATHS if shippable else {**PATHS, **DIGITAL_PATHS}
        if forced_status:
            return paths[forced_status]
        if payment == "pending":
            return paths["incomplete"]
        if payment == "cancelled":
            return paths["nodelivery"] if rng.random() < 0.7 else paths["incomplete"]
        if payment == "refunded":
            return paths["returned"] if shippable and rng.random() < 0.7 else paths["nodelivery"]
        if row["paid_at"] is None and row["payment_method"] != "Invoice":
            return paths["incomplete"]  # waiting for the money
        ready = row["paid_at"] or placed
        age = (self.until - ready).total_seconds() / 3600
        if not shippable:
            return paths["delivered"] if age > 2 or rng.random() < 0.5 else paths["incomplete"]
        weights = next(weights for limit, weights in PROGRESS if limit is None or age < limit)
        handles = ("incomplete", "processing", "shipped", "delivered", "returned")
        return paths[rng.choices(handles, weights=weights)[0]]

    def _timeline(self, row, path, placed):
        """When each status of the path was reached (squeezed before the reference date),
        and the cancellation and refund that follow."""
        rng = self.rng
        ready = row["paid_at"] or placed
        times, when = [placed], ready
        for handle in path[1:]:
            when += hours(rng, *STEP_HOURS[handle])
            times.append(when)
        if times[-1] > self.until:
            scale = (self.until - ready) / (times[-1] - ready) * rng.uniform(0.5, 1)
            times = [placed] + [ready + (t - ready) * scale for t in times[1:]]
        return [max(t, placed) for t in times]

    def _before_end(self, start, delay=None):
        """`start + delay`, or a random moment before the reference date if that is later."""
        if delay is not None and start + delay <= self.until:
            return start + delay
        return start + (self.until - start) * self.rng.random()

    def _settle(self, row, payment, path, last):
        """Cancel or refund the orders whose payment state says so, after their last step."""
        rng = self.rng
        if payment == "pending" and rng.random() < 0.15:
            payment = "cancelled"  # an abandoned off-site payment, cancelled by the shop
        last = max(last, row["paid_at"] or last)
        if payment == "cancelled":
            row["cancelled_at"] = self._before_end(last, hours(rng, 1, 48))
            if row["paid_at"] is not None:
                row["refunded_at"] = row["cancelled_at"]
                row["refund_reason"] = CANCEL_REASON
        elif payment == "refunded":
            reasons = RETURN_REASONS if path[-1] == "returned" else NO_DELIVERY_REASONS
            row["refunded_at"] = self._before_end(last, hours(rng, 1, 72))
            row["refund_reason"] = rng.choice(reasons)

    def _lines(self, placed, shippable):
        rng = self.rng
        count = rng.choices((1, 2, 3, 4, 5), weights=(45, 30, 15, 7, 3))[0]
        pool, dates = self.pools[shippable]
        if not pool:
            pool, dates = self.pools[not shippable]
        # Only products already in the catalogue when the order was placed (at least one).
        available = max(1, bisect.bisect_right(dates, placed))
        return [
            self._line(pool[int(available * rng.random() ** 0.7)], placed) for _ in range(count)
        ]

    def _line(self, product, placed):
        rng = self.rng
        combo = tuple(rng.randrange(len(option.choices)) for option in product.lists)
        picked = [option.choices[i] for option, i in zip(product.lists, combo, strict=True)]
        options = [
            (option.name, option.handle, choice[0])
            for option, choice in zip(product.lists, picked, strict=True)
        ]
        adjustment = sum((choice[1] or 0 for choice in picked), Decimal(0))
        variation = product.variations.get(combo) if combo else None
        on_sale = product.on_sale(placed)
        if variation and variation[2] is not None:
            price = variation[3] if on_sale and variation[3] is not None else variation[2]
        else:
            price = (product.sale_price if on_sale else product.price) + adjustment
        for spec in product.extras:
            if spec.required or rng.random() < 0.3:
                options.append((spec.name, spec.handle, rng.choice(spec.answers)))
        if product.fractional:
            quantity = Decimal(rng.choice(("0.25", "0.5", "0.75", "1", "1.5", "2", "2.5", "3")))
        else:
            quantity = Decimal(rng.choices((1, 2, 3, 4, 6, 10), weights=(75, 15, 5, 2, 2, 1))[0])
            if quantity >= 3 and rng.random() < 0.5:
                price = (price * Decimal("0.95")).quantize(QUANT)  # volume discount
        return {
            "product": product,
            "variation": variation[0] if variation else None,
            "sku": variation[1] if variation else product.sku,
            "quantity": quantity,
            "price": price,
            "options": options,
        }

    def _money(self, row, lines, buyer, shippable):
        rng = self.rng
        items = sum((line["price"] * line["quantity"] for line in lines), Decimal(0))
        assert items == items.quantize(QUANT), "an order line needs more than 4 decimals"
        discount, code = Decimal(0), None
        if rng.random() < 0.12:
            code, share = rng.choice(DISCOUNTS)
            discount = (items * Decimal(share)).quantize(CENT) if share else min(items, Decimal(5))
        shipping = Decimal(0)
        if shippable:
            if items - discount >= 75 and rng.random() < 0.7:
                row["shipping_method"] = "Free Shipping"
            else:
                method = rng.choices(
                    (("Standard Shipping", "5.95"), ("Express Shipping", "14.95"),
                     ("Local Pickup", "0")), weights=(70, 20, 10),
                )[0]  # fmt: skip
                row["shipping_method"] = method[0]
                shipping = Decimal(method[1])
        tax = ((items - discount + shipping) * buyer.tax_rate()).quantize(CENT)
        row.update(
            shipping_total=shipping,
            tax_total=tax,
            discount_total=discount,
            total=items + shipping + tax - discount,
        )
        return code

    def _tracking(self, row, order_id):
        rng = self.rng
        _, pattern, url = rng.choice(CARRIERS)
        code = fill(rng, pattern)
        row["tracking_id"] = f"SHP-{order_id:07d}"
        row["tracking_code"] = code
        row["tracking_url"] = url.format(code) if rng.random() < 0.9 else None

    def _items(self, order_id, lines):
        for position, line in enumerate(lines):
            item_id = self.ids.take(OrderItem)
            self.rows.add(
                OrderItem,
                id=item_id,
                order=order_id,
                product=line["product"].id,
                variation=line["variation"],
                name=line["product"].name,
                sku=line["sku"],
                quantity=line["quantity"],
                price=line["price"],
                sort_order=position,
            )
            for option_position, (name, handle, value) in enumerate(line["options"]):
                self.rows.add(
                    OrderItemOption,
                    id=self.ids.take(OrderItemOption),
                    item=item_id,
                    name=name,
                    handle=handle,
                    value=value,
                    sort_order=option_position,
                )

    def _attributes(self, order_id, row, shippable, discount_code):
        rng = self.rng
        attributes = []
        if discount_code:
            attributes.append(("discount_code", "Discount code", discount_code))
        if row["billing_company"] and rng.random() < 0.4:
            attributes.append(("po_number", "Purchase order number", fill(rng, "PO-######")))
        if shippable and rng.random() < 0.08:
            attributes.append(("gift_message", "Gift message", rng.choice(GIFT_MESSAGES)))
        if shippable and rng.random() < 0.1:
            attributes.append(("delivery_notes", "Delivery instructions", rng.choice(NOTES)))
        if rng.random() < 0.3:
            attributes.append(("newsletter", "Subscribe to our newsletter", rng.random() < 0.4))
        if rng.random() < 0.15:
            attributes.append(("referral", "How did you hear about us?", rng.choice(REFERRALS)))
        if rng.random() < 0.03:
            attributes.append(("loyalty_points", "Loyalty points used", rng.choice((100, 250))))
        if rng.random() < 0.05:
            campaign = {"source": "newsletter", "medium": "email", "campaign": "spring-sale"}
            attributes.append(("utm", "Campaign", campaign))
        for position, (handle, name, value) in enumerate(attributes):
            self.rows.add(
                OrderAttribute,
                id=self.ids.take(OrderAttribute),
                order=order_id,
                handle=handle,
                name=name,
                value=orjson.dumps(value).decode(),
                sort_order=position,
            )


ORDER_FIELDS = [f.name for f in Order._meta.sorted_fields]
