"""CSV for operators (import.md §3): the cell forms every export shares, and stock as CSV
(export, and import through the bulk stock operation)."""

import csv
import re
from decimal import Decimal, InvalidOperation

from models.catalog import Product, Variation
from store.errors import Invalid
from store.stock_bulk import apply_stock_lines

STOCK_COLUMNS = ("sku", "stock_level", "stock_unlimited", "product_id", "variation_id", "name")
# Products per statement of an export: memory stays flat whatever the store's size.
EXPORT_BATCH = 1000
# A cell a spreadsheet would run as a formula, behind any quotes a guard already added.
_FORMULA = re.compile(r"'*[=+\-@]")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_BOOLEANS = {"true": True, "false": False}
_LINE_PATH = re.compile(r"data\.(\d+)\.sku")


def text_cell(value):
    """A text cell safe to open in a spreadsheet: one starting with `=`, `+`, `-` or `@`
    gets a leading `'`. A quote is added before quotes that precede such a character too,
    so that `plain_text` gives every value back exactly."""
    if value is None:
        return ""
    return f"'{value}" if _FORMULA.match(value) else value


def plain_text(cell):
    """The value `text_cell` wrote."""
    return cell[1:] if _FORMULA.match(cell) and cell.startswith("'") else cell


def number_cell(value):
    """A Decimal as a plain number: `-3`, `1.5`, never an exponent."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def writer(out):
    """A CSV writer of UTF-8 text (no byte-order mark), rows ended by CRLF as RFC 4180."""
    return csv.writer(out, lineterminator="\r\n")


# --- stock export ---


def _stock_batches():
    """Batches of (product row, its variations), products in id order, keyset paginated."""
    last = 0
    while True:
        products = list(
            Product.select(
                Product.id, Product.sku, Product.name, Product.stock_level, Product.stock_unlimited
            )
            .where(Product.id > last)
            .order_by(Product.id)
            .limit(EXPORT_BATCH)
            .tuples()
        )
        if not products:
            return
        last = products[-1][0]
        variations = {}
        query = (
            Variation.select(
                Variation.product, Variation.id, Variation.sku, Variation.stock_level,
                Variation.stock_unlimited,
            )
            .where(Variation.product.between(products[0][0], last), Variation.sku.is_null(False))
            .order_by(Variation.product, Variation.id)
            .tuples()
        )  # fmt: skip
        for product_id, *variation in query:
            variations.setdefault(product_id, []).append(variation)
        yield products, variations


def export_stock(out):
    """Write every SKU's stock as CSV to the text stream `out`; the rows written."""
    rows = writer(out)
    rows.writerow(STOCK_COLUMNS)
    count = 0
    for products, variations in _stock_batches():
        for product_id, sku, name, level, unlimited in products:
            if sku is not None:
                rows.writerow(_stock_row(sku, level, unlimited, product_id, "", name))
                count += 1
            for variation_id, vsku, vlevel, vunlimited in variations.get(product_id, ()):
                rows.writerow(_stock_row(vsku, vlevel, vunlimited, product_id, variation_id, name))
                count += 1
    return count


def _stock_row(sku, level, unlimited, product_id, variation_id, name):
    flag = "true" if unlimited else "false"
    return (text_cell(sku), number_cell(level), flag, product_id, variation_id, text_cell(name))


# --- stock import ---


def _header(columns):
    names = [name.strip() for name in columns]
    if "sku" not in names:
        return None, "line 1: no sku column"
    if "stock_level" not in names and "stock_unlimited" not in names:
        return None, "line 1: no stock_level or stock_unlimited column"
    return {key: names.index(key) for key in STOCK_COLUMNS[:3] if key in names}, None


def _cell(row, position):
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def _line(row, positions, number, problems):
    """A bulk line from a CSV row; a bad cell is noted in `problems` by file line."""
    line = {"sku": plain_text(_cell(row, positions["sku"]))}
    level = _cell(row, positions.get("stock_level"))
    if level:
        try:
            if not _NUMBER.fullmatch(level):
                raise InvalidOperation
            line["stock_level"] = Decimal(level)
        except InvalidOperation:
            problems.append(f"line {number}: stock_level: Must be a number, not {level[:40]!r}.")
    unlimited = _cell(row, positions.get("stock_unlimited")).lower()
    if unlimited:
        if unlimited in _BOOLEANS:
            line["stock_unlimited"] = _BOOLEANS[unlimited]
        else:
            problems.append(f"line {number}: stock_unlimited: Must be true or false.")
    return line


def read_stock_csv(rows):
    """The bulk lines of a stock CSV (an iterable of rows, the header first) and their file
    line numbers; Invalid naming every unreadable cell by its file line."""
    rows = iter(rows)
    header = next(rows, None)
    positions, problem = _header(header) if header is not None else (None, "the file is empty")
    if problem:
        raise Invalid(problem, {"line 1": [problem]})
    lines, numbers, problems = [], [], []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        lines.append(_line(row, positions, number, problems))
        numbers.append(number)
    if problems:
        raise Invalid(problems[0], {"lines": problems})
    return lines, numbers


def _by_file_line(error, numbers):
    """The bulk operation's Invalid with `data.N.key` paths as file lines."""
    problems = []
    for path, messages in error.fields.items():
        parts = path.split(".", 2)
        if len(parts) == 1:
            where = "the file"
        else:
            where = f"line {numbers[int(parts[1])]}"
            if len(parts) == 3:
                where += f": {parts[2]}"
        for message in messages:
            # "The same SKU as data.0.sku." names a file line too.
            message = _LINE_PATH.sub(lambda found: f"line {numbers[int(found[1])]}", message)
            problems.append(f"{where}: {message}")
    return Invalid(problems[0], {"lines": problems})


def import_stock(rows, actor, settings=None, dry_run=False):
    """Apply a stock CSV (rows, the header first) with the bulk rules, in one transaction
    whatever its size; the BulkResult. Invalid lists every problem by file line."""
    lines, numbers = read_stock_csv(rows)
    if not lines:
        raise Invalid("the file has no rows", {"lines": ["the file has no rows"]})
    try:
        return apply_stock_lines(lines, actor, settings, dry_run=dry_run, max_lines=len(lines))
    except Invalid as error:
        raise _by_file_line(error, numbers) from None
