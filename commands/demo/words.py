"""The demo store's vocabulary: kinds of products, their options, names and places."""

import re
from dataclasses import dataclass
from decimal import Decimal

# Reserved example domains: nothing in the demo points at a real shop or person.
SITE = "https://shop.example.com"
CDN = "https://cdn.example.com/products"


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _d(value):
    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class OptionSpec:
    name: str
    handle: str
    kind: str
    # List options: (name, SKU code, price adjustment, weight adjustment) per choice.
    choices: tuple = ()
    required: bool = True
    # Free-text options: what customers type in.
    answers: tuple = ()


def choices(*specs):
    return tuple((name, code, _d(price), _d(weight)) for name, code, price, weight in specs)


SIZE = OptionSpec(
    "Size",
    "size",
    "select",
    choices(
        ("XS", "XS", None, None),
        ("S", "S", None, None),
        ("M", "M", None, None),
        ("L", "L", None, None),
        ("XL", "XL", None, None),
        ("XXL", "XXL", "2.00", None),
    ),
)
COLOUR = OptionSpec(
    "Colour",
    "colour",
    "radio",
    choices(
        ("Black", "BLK", None, None),
        ("White", "WHT", None, None),
        ("Navy", "NVY", None, None),
        ("Forest Green", "GRN", None, None),
        ("Heather Grey", "GRY", None, None),
        ("Rust", "RST", "3.00", None),
    ),
)
SHOE_SIZE = OptionSpec(
    "EU size",
    "eu_size",
    "select",
    choices(*((str(size), str(size), None, None) for size in range(37, 47))),
)
BAG = OptionSpec(
    "Bag size",
    "bag_size",
    "radio",
    choices(
        ("250 g", "250", None, None),
        ("500 g", "500", "8.00", "0.25"),
        ("1 kg", "1000", "19.00", "0.75"),
    ),
)
GRIND = OptionSpec(
    "Grind",
    "grind",
    "select",
    choices(
        ("Whole bean", "WB", None, None),
        ("Espresso", "ES", None, None),
        ("Filter", "FI", None, None),
        ("French press", "FP", None, None),
    ),
)
FINISH = OptionSpec(
    "Finish",
    "finish",
    "select",
    choices(
        ("Natural oak", "OAK", None, None),
        ("Smoked oak", "SMK", "25.00", None),
        ("Walnut", "WAL", "60.00", None),
        ("Black ash", "ASH", "35.00", None),
    ),
)
TECH_COLOUR = OptionSpec(
    "Colour",
    "colour",
    "radio",
    choices(
        ("Graphite", "GPH", None, None),
        ("Silver", "SLV", None, None),
        ("Sand", "SND", "5.00", None),
    ),
)
CAPACITY = OptionSpec(
    "Capacity",
    "capacity",
    "select",
    choices(
        ("500 ml", "500", None, None),
        ("750 ml", "750", "4.00", "0.1"),
        ("1 l", "1000", "7.00", "0.2"),
    ),
)
FABRIC_COLOUR = OptionSpec(
    "Colour",
    "colour",
    "select",
    choices(
        ("Natural", "NAT", None, None),
        ("Indigo", "IND", "1.50", None),
        ("Ochre", "OCH", "1.50", None),
        ("Charcoal", "CHA", None, None),
    ),
)
AMOUNT = OptionSpec(
    "Amount",
    "amount",
    "select",
    choices(
        ("25", "25", None, None),
        ("50", "50", "25.00", None),
        ("100", "100", "75.00", None),
        ("250", "250", "225.00", None),
    ),
)
RULING = OptionSpec(
    "Ruling",
    "ruling",
    "radio",
    choices(
        ("Dot grid", "DOT", None, None),
        ("Lined", "LIN", None, None),
        ("Blank", "BLK", None, None),
    ),
)
ENGRAVING = OptionSpec(
    "Engraving",
    "engraving",
    "text",
    required=False,
    answers=("J & M", "Happy 40th", "For Anna", "Est. 2019", "K.L.", "Best Dad"),
)
GIFT_WRAP = OptionSpec("Gift wrap", "gift_wrap", "checkbox", required=False, answers=("Yes",))
ASSEMBLY = OptionSpec(
    "Assembly service", "assembly", "checkbox", required=False, answers=("Yes", "No")
)
RECIPIENT = OptionSpec(
    "Recipient email",
    "recipient_email",
    "text",
    answers=("sam@example.org", "lee.morgan@example.net", "office@example.com"),
)
CARD_MESSAGE = OptionSpec(
    "Message",
    "message",
    "textarea",
    required=False,
    answers=("Happy birthday!", "Thank you for everything.", "Congratulations on the new home"),
)


@dataclass(frozen=True)
class Template:
    """A kind of product: what it is called, costs, weighs and which options it has."""

    prefix: str
    nouns: tuple
    categories: tuple
    price: tuple
    lists: tuple = ()
    extras: tuple = ()
    shippable: bool = True
    # Sold by length or weight: ordered in fractional quantities.
    fractional: bool = False
    weight: tuple = (0.2, 2.0)
    size: tuple = (10, 40)
    stackable: bool = False
    separate_ship: bool = False
    adjective: bool = True
    frequency: int = 10


TEMPLATES = (
    Template(
        "AP",
        ("T-Shirt", "Hoodie", "Sweatshirt", "Polo Shirt", "Rain Jacket", "Flannel Shirt"),
        ("apparel",),
        (15, 90),
        lists=(SIZE, COLOUR),
        frequency=18,
    ),
    Template(
        "FW",
        ("Trail Runner", "Canvas Sneaker", "Hiking Boot", "Leather Sandal"),
        ("footwear",),
        (40, 160),
        lists=(SHOE_SIZE,),
        weight=(0.6, 1.8),
        frequency=8,
    ),
    Template(
        "CF",
        ("Single Origin Coffee", "Espresso Blend", "Decaf Blend", "Breakfast Blend"),
        ("coffee-tea",),
        (9, 22),
        lists=(BAG, GRIND),
        weight=(0.25, 0.3),
        size=(8, 20),
        frequency=10,
    ),
    Template(
        "TE",
        ("Earl Grey (per kg)", "Sencha Green Tea (per kg)", "Rooibos (per kg)", "Chai (per kg)"),
        ("coffee-tea",),
        (35, 90),
        fractional=True,
        weight=(1.0, 1.1),
        frequency=5,
    ),
    Template(
        "KT",
        ("Chef's Knife", "Cast Iron Skillet", "Cutting Board", "Enamel Mug", "French Press"),
        ("kitchen", "home-living"),
        (12, 140),
        extras=(ENGRAVING, GIFT_WRAP),
        frequency=10,
    ),
    Template(
        "HM",
        ("Linen Throw", "Scented Candle", "Ceramic Vase", "Wall Clock", "Table Lamp"),
        ("home-living",),
        (14, 120),
        lists=(TECH_COLOUR,),
        extras=(GIFT_WRAP,),
        frequency=10,
    ),
    Template(
        "FN",
        ("Side Table", "Bookshelf", "Dining Chair", "Writing Desk"),
        ("furniture", "home-living"),
        (120, 900),
        lists=(FINISH,),
        extras=(ASSEMBLY,),
        weight=(6, 40),
        size=(40, 160),
        stackable=True,
        separate_ship=True,
        frequency=4,
    ),
    Template(
        "EL",
        ("Bluetooth Speaker", "Wireless Earbuds", "Power Bank", "USB-C Hub", "Desk Lamp"),
        ("electronics",),
        (19, 199),
        lists=(TECH_COLOUR,),
        frequency=8,
    ),
    Template(
        "OD",
        ("Insulated Bottle", "Daypack", "Camping Lantern", "Trekking Poles", "Sleeping Bag"),
        ("outdoor",),
        (15, 220),
        lists=(CAPACITY,),
        frequency=7,
    ),
    Template(
        "FB",
        ("Linen Fabric (per metre)", "Cotton Canvas (per metre)", "Waxed Cotton (per metre)"),
        ("fabrics",),
        (8, 35),
        lists=(FABRIC_COLOUR,),
        fractional=True,
        frequency=4,
    ),
    Template(
        "ST",
        ("Dot Grid Notebook", "Fountain Pen", "Letterpress Card Set", "Desk Calendar"),
        ("stationery",),
        (6, 60),
        lists=(RULING,),
        extras=(ENGRAVING,),
        weight=(0.1, 0.6),
        size=(10, 30),
        frequency=6,
    ),
    Template(
        "EB",
        (
            "E-book: The Home Barista",
            "E-book: Weekend Woodworking",
            "Online Course: Natural Dyeing",
            "Audiobook: Trail Stories",
            "Printable Planner",
        ),
        ("books-media",),
        (5, 49),
        shippable=False,
        adjective=False,
        frequency=5,
    ),
    Template(
        "GC",
        ("Gift Card",),
        ("gift-cards",),
        (25, 25),
        lists=(AMOUNT,),
        extras=(RECIPIENT, CARD_MESSAGE),
        shippable=False,
        adjective=False,
        frequency=2,
    ),
)

ADJECTIVES = (
    "Classic",
    "Everyday",
    "Heritage",
    "Essential",
    "Alpine",
    "Coastal",
    "Urban",
    "Nordic",
    "Vintage",
    "Organic",
    "Recycled",
    "Handmade",
)
BRANDS = (
    "Northwind",
    "Alder & Oak",
    "Bluefin",
    "Cedar Works",
    "Copperline",
    "Fjell",
    "Harbor Goods",
    "Kestrel",
    "Lumen",
    "Maple Row",
    "Pinecrest",
    "Verde",
)
GROUPS = ("New arrivals", "Bestsellers", "Staff picks", "Gift ideas", "Eco friendly", "Clearance")
CATEGORIES = (
    ("Apparel", "apparel"),
    ("Footwear", "footwear"),
    ("Coffee & Tea", "coffee-tea"),
    ("Kitchen", "kitchen"),
    ("Home & Living", "home-living"),
    ("Furniture", "furniture"),
    ("Electronics", "electronics"),
    ("Outdoor", "outdoor"),
    ("Fabrics", "fabrics"),
    ("Stationery", "stationery"),
    ("Books & Media", "books-media"),
    ("Gift Cards", "gift-cards"),
)
FEATURES = (
    "Made to last, designed to be repaired",
    "Ships in recyclable packaging",
    "Two-year warranty",
    "Responsibly sourced materials",
    "Designed in our studio",
    "Free returns within 30 days",
    "Small-batch production",
    "Tested by our team for a full season",
)
