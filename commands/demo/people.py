"""Demo customers: names, addresses, companies, VAT numbers, in a handful of countries."""

import string
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass(frozen=True)
class Country:
    code: str
    weight: int
    locale: str
    # (city, state or province, postal code pattern: # a digit, @ a letter)
    cities: tuple
    streets: tuple
    street_format: str
    phone: str
    first_names: tuple
    last_names: tuple
    company_suffixes: tuple
    # VAT number: prefix and number of digits; None where the store collects none.
    vat: tuple | None
    # Tax added on top for consumers (per state where it differs).
    tax: dict


ENGLISH_FIRST = ("James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason",
                 "Isabella", "Lucas", "Mia", "Zoë", "Aiden", "Harper", "Chloé")  # fmt: skip
ENGLISH_LAST = ("Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Taylor",
                "Anderson", "Thomas", "Moore", "Martin", "O'Connor", "Nguyen", "Kim")  # fmt: skip

COUNTRIES = (
    Country(
        "US", 58, "en_US",
        (("Phoenix", "AZ", "850##"), ("Tucson", "AZ", "857##"), ("Austin", "TX", "787##"),
         ("Portland", "OR", "972##"), ("Denver", "CO", "802##"), ("Brooklyn", "NY", "112##"),
         ("Chicago", "IL", "606##"), ("Seattle", "WA", "981##")),
        ("Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Sunset Boulevard",
         "Washington Street"),
        "{number} {street}", "+1 ###-###-####", ENGLISH_FIRST, ENGLISH_LAST,
        ("LLC", "Inc.", "Co."), None,
        {"AZ": "0.086", "TX": "0.0825", "OR": "0", "CO": "0.0775", "NY": "0.08875",
         "IL": "0.1025", "WA": "0.101"},
    ),
    Country(
        "CA", 7, "en_CA",
        (("Toronto", "ON", "M5V #@#"), ("Vancouver", "BC", "V6B #@#"),
         ("Montréal", "QC", "H2X #@#")),
        ("King Street West", "Granville Street", "Rue Sainte-Catherine"),
        "{number} {street}", "+1 ###-###-####", ENGLISH_FIRST, ENGLISH_LAST,
        ("Ltd.", "Inc."), None, {"ON": "0.13", "BC": "0.12", "QC": "0.14975"},
    ),
    Country(
        "GB", 8, "en_GB",
        (("London", None, "SE1 #@@"), ("Manchester", None, "M1 #@@"),
         ("Edinburgh", None, "EH1 #@@")),
        ("High Street", "Station Road", "Church Lane", "Victoria Road"),
        "{number} {street}", "+44 20 #### ####", ENGLISH_FIRST, ENGLISH_LAST,
        ("Ltd",), ("GB", 9), {None: "0.20"},
    ),
    Country(
        "DE", 8, "de_DE",
        (("Berlin", "BE", "10###"), ("München", "BY", "80###"), ("Hamburg", "HH", "20###")),
        ("Hauptstraße", "Gartenweg", "Schillerstraße", "Lindenallee"),
        "{street} {number}", "+49 30 ########",
        ("Jürgen", "Anna", "Lukas", "Lena", "Felix", "Marie", "Jonas", "Sophie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner"),
        ("GmbH", "KG"), ("DE", 9), {None: "0.19"},
    ),
    Country(
        "IT", 6, "it_IT",
        (("Milano", "MI", "201##"), ("Roma", "RM", "001##"), ("Torino", "TO", "101##")),
        ("Via Roma", "Corso Italia", "Via Garibaldi", "Piazza Duomo"),
        "{street} {number}", "+39 02 ########",
        ("Giulia", "Marco", "Francesca", "Luca", "Chiara", "Niccolò", "Sara"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo"),
        ("S.r.l.", "S.p.A."), ("IT", 11), {None: "0.22"},
    ),
    Country(
        "FR", 6, "fr_FR",
        (("Paris", "75", "750##"), ("Lyon", "69", "690##"), ("Bordeaux", "33", "330##")),
        ("rue de la Paix", "avenue Jean Jaurès", "boulevard Voltaire", "rue des Écoles"),
        "{number} {street}", "+33 1 ## ## ## ##",
        ("Camille", "Léa", "Hugo", "Louis", "Manon", "Théo", "Inès"),
        ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard"),
        ("SARL", "SAS"), ("FR", 11), {None: "0.20"},
    ),
    Country(
        "NL", 7, "nl_NL",
        (("Amsterdam", "NH", "10## @@"), ("Utrecht", "UT", "35## @@"),
         ("Rotterdam", "ZH", "30## @@")),
        ("Keizersgracht", "Prinsengracht", "Oudegracht", "Coolsingel"),
        "{street} {number}", "+31 20 ### ####",
        ("Daan", "Emma", "Sem", "Julia", "Bram", "Tess", "Sanne"),
        ("de Jong", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser", "Smit"),
        ("B.V.",), ("NL", 9), {None: "0.21"},
    ),
)  # fmt: skip

UPPER = string.ascii_uppercase


def fill(rng, pattern):
    """A pattern with each # replaced by a digit and each @ by a capital letter."""
    return "".join(
        str(rng.randrange(10)) if char == "#" else rng.choice(UPPER) if char == "@" else char
        for char in pattern
    )


def ascii_word(text):
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum())


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    company: str | None
    phone: str
    # address1, address2, address3, city, state_province, country, postal_code
    address: tuple


@dataclass(frozen=True)
class Customer:
    email: str
    username: str | None
    locale: str
    country: Country
    person: Person
    vat_number: str | None

    def tax_rate(self):
        if self.vat_number:
            return Decimal(0)  # business customers abroad: reverse charge
        rates = self.country.tax
        return Decimal(rates.get(self.person.address[4], rates.get(None, "0")))


def person(rng, country, company=None):
    city, state, postal = rng.choice(country.cities)
    street = country.street_format.format(
        number=rng.randint(1, 250), street=rng.choice(country.streets)
    )
    roll = rng.random()
    address2 = None if roll < 0.6 else "" if roll < 0.8 else f"Apt {rng.randint(1, 40)}"
    address = (street, address2, None, city, state, country.code, fill(rng, postal))
    return Person(
        first_name=rng.choice(country.first_names),
        last_name=rng.choice(country.last_names),
        company=company,
        phone=fill(rng, country.phone),
        address=address,
    )


def customer(rng, number):
    """The `number`th customer: a guest or a registered user, maybe a business."""
    country = rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]
    buyer = person(rng, country)
    company = vat_number = None
    if rng.random() < 0.2:
        company = f"{buyer.last_name} {rng.choice(country.company_suffixes)}"
        buyer = Person(buyer.first_name, buyer.last_name, company, buyer.phone, buyer.address)
        if country.vat and rng.random() < 0.8:
            prefix, digits = country.vat
            vat_number = prefix + fill(rng, "#" * digits)
    first, last = ascii_word(buyer.first_name), ascii_word(buyer.last_name)
    registered = rng.random() < 0.45
    return Customer(
        email=f"{first}.{last}{number}@{rng.choice(EMAIL_DOMAINS)}",
        username=f"{first}{last[:1]}{number}" if registered else None,
        locale=country.locale,
        country=country,
        person=buyer,
        vat_number=vat_number,
    )
