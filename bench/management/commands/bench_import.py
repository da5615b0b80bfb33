"""``manage.py bench_import``: time ``import_erp`` on a synthetic ERP export.

Writes an ERP-format export (decimal commas, ``M/D/YYYY`` dates) of ``--lines`` sales lines
to a temporary directory, imports it through the same service as ``import_erp``, then times
a ``--sample`` of lines written with :func:`crm.bulkload.bulk_insert` and with Django's
``bulk_create``. Everything it creates has codes starting ``BENCH-`` and is deleted at the
end unless ``--keep``.
"""

import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from crm.importing import import_directory
from crm.models import Campaign, Client, Order, OrderLine, Product, ProductFamily, ProductLine

PREFIX = "BENCH-"
PROVINCES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Málaga", "Bizkaia", "Zaragoza"]
FAMILIES = {
    "Consumibles": ["ANEST", "AGUJAS", "BIOSEG", "PROFIL", "DESINF", "COMPOS", "CEMENT"],
    "Cirugía": ["IMPL", "BIOMAT", "SUTURA", "MEMBR"],
    "Equipos": ["TURBIN", "CONTRA", "LAMPAR"],
}


def bulk_create_writer(model, fields, rows, batch_size=5000):
    """Same contract as :func:`crm.bulkload.bulk_insert`, written with ``bulk_create``."""
    attnames = [model._meta.get_field(name).attname for name in fields]
    objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
    model.objects.bulk_create(objs, batch_size=batch_size)
    return len(objs)


def money(value):
    """``1234.5`` -> ``'1.234,50'`` (Spanish ERP style)."""
    text = f"{abs(value):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return ("-" if value < 0 else "") + text


def write_reference(directory, clients, rng):
    """Write the clients, products, potential and campaign sheets; return product codes."""
    d = Path(directory)
    with open(d / "clientes.csv", "w", encoding="utf-8") as f:
        f.write("Id. Cliente;postcode;Provincia\n")
        for i in range(clients):
            f.write(f"{PREFIX}C{i:06d};{28000 + i % 900:05d};{rng.choice(PROVINCES)}\n")
    products = []
    with open(d / "articulos.csv", "w", encoding="utf-8") as f:
        f.write("Id.Prod;Bloque analítico;Categoria_H;Familia_H\n")
        for line, families in FAMILIES.items():
            for family in families:
                for j in range(25):
                    code = f"{PREFIX}{family}-{j:03d}"
                    products.append(code)
                    f.write(f"{code};{PREFIX}{line};Cat {j % 5};{PREFIX}{family}\n")
    with open(d / "potencial.csv", "w", encoding="utf-8") as f:
        f.write("Id.Cliente;Familia;Categoria Productos;Potencial_H\n")
        for i in range(clients):
            for family in rng.sample(FAMILIES["Consumibles"], 2):
                f.write(f"{PREFIX}C{i:06d};{PREFIX}{family};Todas;{money(rng.uniform(500, 9e3))}\n")
    with open(d / "campanas.csv", "w", encoding="utf-8") as f:
        f.write("Campaña;Fecha inicio;Fecha fin\n")
        for year in (2022, 2023, 2024):
            f.write(f"{PREFIX}PRIM{year};3/1/{year};4/15/{year}\n")
    return products


def write_sales(path, lines, clients, products, rng, invoice_prefix):
    """Write ``lines`` ERP sales lines in invoices of 1-8 lines over three years."""
    start = date(2022, 1, 3)
    with open(path, "w", encoding="utf-8") as f:
        f.write("Num.Fact;Fecha;Id. Cliente;Id. Producto;Unidades;Valores_H\n")
        written, invoice = 0, 0
        while written < lines:
            invoice += 1
            day = start + timedelta(days=rng.randrange(3 * 365))
            fecha = f"{day.month}/{day.day}/{day.year}"
            client = f"{PREFIX}C{rng.randrange(clients):06d}"
            for product in rng.sample(products, min(rng.randint(1, 8), lines - written)):
                units = rng.choice((1, 2, 5, 10, 20, 50, 1000)) * (-1 if rng.random() < 0.02 else 1)
                value = units * rng.uniform(2, 60)
                f.write(f"{invoice_prefix}{invoice:08d};{fecha};{client};{product};")
                f.write(f"{money(units) if units >= 1000 else units};{money(value)}\n")
                written += 1
    return written


def delete_bench_data():
    """Remove everything whose code starts with ``BENCH-``."""
    lines, orders = OrderLine._meta.db_table, Order._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {lines} WHERE order_id IN "
            f"(SELECT id FROM {orders} WHERE invoice_number LIKE %s)",
            [PREFIX + "%"],
        )
        cursor.execute(f"DELETE FROM {orders} WHERE invoice_number LIKE %s", [PREFIX + "%"])
        for model in (Product, ProductFamily, ProductLine, Campaign, Client):
            model.objects.filter(code__startswith=PREFIX).delete()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Time import_erp on a synthetic ERP export, and bulk_insert against bulk_create."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=200_000)
        parser.add_argument("--sample", type=int, default=100_000)
        parser.add_argument("--clients", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", action="store_true", help="Keep the BENCH- data.")

    def handle(self, lines, sample, clients, seed, keep, **options):
        rng = random.Random(seed)
        rows = []
        delete_bench_data()
        try:
            with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
                full, sample_a, sample_b = (Path(tmp) / name for name in ("full", "a", "b"))
                for d in (full, sample_a, sample_b):
                    d.mkdir()
                products = write_reference(full, clients, rng)
                write_sales(full / "ventas.csv", lines, clients, products, rng, PREFIX + "F")
                write_sales(sample_a / "ventas.csv", sample, clients, products, rng, PREFIX + "A")
                write_sales(sample_b / "ventas.csv", sample, clients, products, rng, PREFIX + "B")
                self.stdout.write(f"Database: {connection.vendor}; export written to {tmp}")
                rows.append(self.run("import_erp, full export", "bulk_insert", full))
                rows.append(self.run("sales sample", "bulk_insert", sample_a))
                rows.append(self.run("sales sample", "bulk_create", sample_b, bulk_create_writer))
        finally:
            if not keep:
                delete_bench_data()
        header = f"{'run':<26}{'writer':<13}{'lines':>10}{'seconds':>10}{'lines/s':>10}"
        self.stdout.write(header + f"{'CPU s':>8}{'peak RSS MB':>13}")
        for name, writer, count, seconds, cpu, rss in rows:
            self.stdout.write(
                f"{name:<26}{writer:<13}{count:>10}{seconds:>10.1f}{count / seconds:>10.0f}"
                f"{cpu:>8.1f}{rss:>13.0f}"
            )
        self.stdout.write(
            "seconds: wall clock; CPU s: this process only (the database server's work on "
            "PostgreSQL is not in it); peak RSS: the whole command so far."
        )

    def run(self, name, writer_name, directory, writer=None):
        kwargs = {"writer": writer} if writer else {}
        started, cpu = time.perf_counter(), time.process_time()
        reports = import_directory(directory, **kwargs)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        sales = next(r.result for r in reports if r.kind == "orders")
        if sales.rejected or sales.imported != sales.read:
            self.stderr.write(f"{name}: {sales.rejected} rejected, {dict(sales.reasons)}")
        return name, writer_name, sales.imported, seconds, cpu, peak_rss_mb()
