"""bench_seed's figures against the database it wrote (not only the table's row names)."""

import io
import re

import pytest
from django.core.management import call_command

from crm.models import Client, Order, OrderLine
from seeds.models import GroundTruth


@pytest.mark.django_db
def test_bench_seed_counts_are_the_rows_written_and_the_rate_is_lines_per_second():
    out = io.StringIO()
    call_command(
        "bench_seed", "--clients", "12", "--weeks", "30", "--seed", "3",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    table = dict(
        re.match(r"^(.+?)\s{2,}(.+)$", line).groups() for line in out.getvalue().splitlines()
    )
    assert table["clients x weeks"] == "12 x 30"
    assert Client.objects.count() == 12
    assert int(table["orders"]) == Order.objects.count() > 0
    assert int(table["order lines"]) == OrderLine.objects.count() > 0
    bought = GroundTruth.objects.exclude(scenario="cross_sell")
    assert int(table["pairs"]) == bought.count() > 0
    lines, seconds = OrderLine.objects.count(), float(table["total (s)"])
    rate = float(table["lines / s"].replace(",", ""))
    # The printed total is rounded to 0.1 s: the rate lies between lines / (s +- 0.05).
    assert lines / (seconds + 0.05) - 1 <= rate <= lines / max(seconds - 0.05, 1e-9) + 1
