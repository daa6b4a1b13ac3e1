"""`cs stock export` and `cs stock import`: stock as CSV, applied with the bulk rules."""

import csv
import io
from decimal import Decimal

import pytest

from models.catalog import Product, Variation
from tests import factories
from tests.test_bulk_stock import snapshot

HEADER = "sku,stock_level,stock_unlimited,product_id,variation_id,name"


@pytest.fixture
def cli(app, tmp_path):
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["cs", *args])
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    return run


@pytest.fixture
def store(app):
    mug = factories.product(sku="MUG", name="Mug, large", stock_level=Decimal("10.5"))
    shirt = factories.product(sku="-SHIRT", name="=Shirt", stock_level=Decimal(-3))
    small = factories.variation(shirt, sku="@S", stock_level=Decimal(3))
    factories.variation(shirt, sku=None, stock_level=Decimal(1))
    factories.product(sku="POSTER", name="Poster", stock_unlimited=True, stock_level=Decimal(0))
    return {"mug": mug, "shirt": shirt, "small": small}


def write(path, text, bom=False):
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return str(path)


def test_export_writes_one_row_per_sku(cli, store, tmp_path):
    out = tmp_path / "stock.csv"
    cli("stock", "export", "--out", str(out))
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    mug, shirt, small = store["mug"], store["shirt"], store["small"]
    poster = Product.get(Product.sku == "POSTER")
    assert list(csv.reader(io.StringIO(raw.decode()))) == [
        HEADER.split(","),
        ["MUG", "10.5", "false", str(mug.id), "", "Mug, large"],
        # Formulas are defused; numbers stay plain.
        ["'-SHIRT", "-3", "false", str(shirt.id), "", "'=Shirt"],
        ["'@S", "3", "false", str(shirt.id), str(small.id), "'=Shirt"],
        ["POSTER", "0", "true", str(poster.id), "", "Poster"],
    ]


def test_export_to_stdout(cli, store):
    assert cli("stock", "export").splitlines()[0] == HEADER


def test_an_export_imports_back_unchanged(cli, store, tmp_path):
    out = tmp_path / "stock.csv"
    cli("stock", "export", "--out", str(out))
    before = snapshot()
    output = cli("stock", "import", str(out), "--no-progress")
    assert "4 lines: 0 changed, 4 unchanged" in output
    assert snapshot() == before


def test_export_edit_import_round_trip(cli, store, tmp_path):
    out = tmp_path / "stock.csv"
    cli("stock", "export", "--out", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text())))
    rows[1][1] = "12"  # MUG
    rows[3][2] = "TRUE"  # @S
    edited = io.StringIO()
    csv.writer(edited).writerows(rows)
    output = cli(
        "stock", "import", write(tmp_path / "edited.csv", edited.getvalue()), "--no-progress"
    )
    assert "4 lines: 2 changed, 2 unchanged" in output
    assert Product.get_by_id(store["mug"].id).stock_level == 12
    assert Variation.get_by_id(store["small"].id).stock_unlimited is True
    # And again: the file now matches the store.
    cli("stock", "export", "--out", str(tmp_path / "again.csv"))
    again = (tmp_path / "again.csv").read_text()
    assert list(csv.reader(io.StringIO(again))) == [
        row[:2] + [row[2].lower()] + row[3:] for row in rows
    ]


def test_a_byte_order_mark_and_only_some_columns(cli, store, tmp_path):
    path = write(tmp_path / "in.csv", "stock_level,sku,note\n7,MUG,ignored\n", bom=True)
    assert "1 lines: 1 changed" in cli("stock", "import", path, "--no-progress")
    assert Product.get_by_id(store["mug"].id).stock_level == 7


def test_errors_name_file_lines_and_nothing_changes(cli, store, tmp_path):
    text = f"{HEADER}\nMUG,5,false,,,\nNOPE,1,,,,\n'@S,,,,,\nMUG,6,,,,\nPOSTER,99999999999,,,,\n"
    before = snapshot()
    output = cli("stock", "import", write(tmp_path / "bad.csv", text), "--no-progress", ok=False)
    assert "nothing changed, 4 problem(s)" in output
    assert "line 3: sku: SKU not found" in output
    assert "line 4: Nothing to change" in output
    assert "line 5: sku: The same SKU as line 2." in output
    assert "line 6: stock_level: Must be within" in output
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sku,stock_level\nMUG,abc\n", "line 2: stock_level: Must be a number, not 'abc'."),
        ("sku,stock_level\nMUG,1e3\n", "line 2: stock_level: Must be a number"),
        ("sku,stock_unlimited\nMUG,yes\n", "line 2: stock_unlimited: Must be true or false."),
        ("name,stock_level\nMug,1\n", "line 1: no sku column"),
        ("sku,name\nMUG,Mug\n", "line 1: no stock_level or stock_unlimited column"),
        ("", "the file is empty"),
        ("sku,stock_level\n", "the file has no rows"),
    ],
)
def test_unreadable_files(cli, store, tmp_path, text, message):
    before = snapshot()
    output = cli("stock", "import", write(tmp_path / "bad.csv", text), "--no-progress", ok=False)
    assert message in output
    assert snapshot() == before


def test_a_dry_run_changes_nothing(cli, store, tmp_path):
    path = write(tmp_path / "in.csv", "sku,stock_level\nMUG,1\n-SHIRT,-3\n")
    before = snapshot()
    output = cli("stock", "import", path, "--dry-run", "--no-progress")
    assert "2 lines: 1 would change, 1 unchanged (dry run: nothing written)" in output
    assert snapshot() == before


def test_a_file_larger_than_the_request_limit(cli, app, tmp_path):
    factories.bulk_products(10_500)
    rows = [f"BULK-{p.sku[5:]},1" for p in Product.select(Product.sku)]
    path = write(tmp_path / "big.csv", "sku,stock_level\n" + "\n".join(rows) + "\n")
    assert "10500 lines: 10500 changed" in cli("stock", "import", path, "--no-progress")
    assert {p.stock_level for p in Product.select()} == {1}
