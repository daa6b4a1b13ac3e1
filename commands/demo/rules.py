"""How demo orders behave: fulfilment paths and timings, payments, reasons and extras."""

# How a fulfilment status is reached from the starting one.
PATHS = {
    "incomplete": ("incomplete",),
    "processing": ("incomplete", "processing"),
    "shipped": ("incomplete", "processing", "shipped"),
    "delivered": ("incomplete", "processing", "shipped", "delivered"),
    "nodelivery": ("incomplete", "processing", "nodelivery"),
    "returned": ("incomplete", "processing", "shipped", "delivered", "returned"),
}
# Downloads and gift cards are delivered without being shipped.
DIGITAL_PATHS = {
    "delivered": ("incomplete", "delivered"),
    "nodelivery": ("incomplete", "nodelivery"),
}
# Hours from one status to the next.
STEP_HOURS = {
    "processing": (1, 30),
    "shipped": (12, 72),
    "delivered": (24, 144),
    "nodelivery": (2, 96),
    "returned": (72, 480),
}
# Fulfilment of a paid shippable order by hours since payment: (under, weights of
# incomplete, processing, shipped, delivered, returned).
PROGRESS = (
    (6, (70, 30, 0, 0, 0)),
    (48, (10, 50, 40, 0, 0)),
    (240, (0, 5, 35, 60, 0)),
    (None, (0, 0, 0, 96, 4)),
)
# (name, kind, weight): how customers pay. Off-site payments send the customer away first.
METHODS = (
    ("Credit card", "card", 50),
    ("PayPal", "offsite", 22),
    ("Klarna", "offsite", 6),
    ("Bank transfer", "transfer", 10),
    ("Invoice", "invoice", 12),
)
# Payment states and their share of orders; the rest are ordinary ("open") orders.
PAYMENT_SHARES = (
    ("pending", 0.012),
    ("unpaid", 0.025),
    ("cancelled", 0.025),
    ("refunded", 0.03),
)
RETURN_REASONS = ("Item not as described", "Wrong size", "Damaged in transit",
                  "Changed mind within 30 days")  # fmt: skip
NO_DELIVERY_REASONS = ("Out of stock", "Lost in transit", "Address undeliverable")
CANCEL_REASON = "Cancelled at the customer's request"
CARRIERS = (
    ("UPS", "1Z@@@###########", "https://www.ups.com/track?tracknum={}"),
    ("DHL", "##########", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}"),
    ("USPS", "9400############", "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"),
)
DISCOUNTS = (("WELCOME10", "0.10"), ("SPRING15", "0.15"), ("LOYAL20", "0.20"), ("SAVE5", None))
REFERRALS = ("Instagram", "A friend", "Search engine", "Podcast", "Newsletter")
NOTES = ("Leave at the back door", "Ring twice", "Please deliver after 5 pm", "Call on arrival")
GIFT_MESSAGES = ("Happy birthday!", "Congratulations!", "With love", "Thank you ❤")
# Every fulfilment status and payment state at least once, even in a small demo.
GUARANTEED = (
    ("unpaid", "incomplete"),
    ("paid", "processing"),
    ("paid", "shipped"),
    ("paid", "delivered"),
    ("cancelled", "nodelivery"),
    ("refunded", "returned"),
    ("pending", "incomplete"),
)
