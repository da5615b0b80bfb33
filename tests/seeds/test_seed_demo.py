"""The seed_demo command: determinism, users, reset and refusals."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm.models import Alert, Client, Feedback, Order, OrderLine, Product, Territory, User
from seeds import generator, services
from seeds.models import GroundTruth

END = "2026-03-29"  # a Sunday


def seed(*args, **options):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def snapshot():
    """Everything a user would see of the generated history, without database ids."""
    lines = OrderLine.objects.order_by("order__invoice_number", "line_number").values_list(
        "order__invoice_number", "date", "client__code", "product__code", "units", "net_value"
    )
    truth = GroundTruth.objects.order_by("client__code", "family__code").values_list(
        "client__code", "family__code", "scenario", "onset", "params"
    )
    clients = Client.objects.values_list("code", "name", "postcode", "province", "rep__username")
    return list(lines), list(truth), list(clients)


@pytest.mark.django_db
def test_same_seed_and_end_give_identical_data_and_another_seed_differs():
    seed("--clients", "30", "--weeks", "52", "--seed", "3", "--end", END, "--password", "pw")
    first = snapshot()
    seed("--clients", "30", "--weeks", "52", "--seed", "3", "--end", END, "--reset")
    assert snapshot() == first
    assert len(first[0]) > 1000
    seed("--clients", "30", "--weeks", "52", "--seed", "4", "--end", END, "--reset")
    other = snapshot()
    assert other[0] != first[0]
    assert other[1] != first[1]


@pytest.mark.django_db
def test_end_is_the_last_sunday_and_defaults_to_the_sunday_before_today():
    seed("--clients", "5", "--weeks", "30", "--end", "2026-04-01", "--password", "pw")
    assert Order.objects.latest("date").date <= dt.date(2026, 3, 29)
    assert Order.objects.earliest("date").date >= dt.date(2026, 3, 29) - dt.timedelta(weeks=30)
    end = services.default_end()
    assert end.weekday() == 6 and 1 <= (timezone.localdate() - end).days <= 7


@pytest.mark.django_db
def test_demo_users_have_roles_team_and_printed_passwords():
    out = seed("--clients", "40", "--weeks", "30", "--end", END)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == User.Role.ADMIN
    manager = User.objects.get(role=User.Role.MANAGER)
    reps = list(User.objects.filter(role=User.Role.REP))
    assert len(reps) == 4
    assert all(r.manager == manager and r.territory is not None for r in reps)
    assert {t.code for t in Territory.objects.all()} == {r.territory.code for r in reps}
    assert not Client.objects.filter(rep__isnull=True).exists()
    assert set(Client.objects.values_list("rep__role", flat=True)) == {"rep"}
    assert Client.objects.exclude(territory__users__in=reps).count() == 0
    assert "http://127.0.0.1:8000/" in out
    passwords = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in {"admin", "manager", "rep1", "rep2", "rep3", "rep4"}:
            passwords[parts[0]] = parts[2]
    assert len(passwords) == 6 and len(set(passwords.values())) == 6
    for username, password in passwords.items():
        assert User.objects.get(username=username).check_password(password)


@pytest.mark.django_db
def test_fixed_password_for_all_users():
    seed("--clients", "3", "--weeks", "30", "--end", END, "--password", "demo-pass-123")
    assert all(u.check_password("demo-pass-123") for u in User.objects.all())


@pytest.mark.django_db
def test_refuses_existing_data_without_reset_and_reset_replaces_it():
    seed("--clients", "12", "--weeks", "30", "--end", END, "--password", "pw")
    client = Client.objects.first()
    alert = Alert.objects.create(
        client=client, kind="full_churn", dedup_key="x", as_of=dt.date(2026, 3, 29)
    )
    Feedback.objects.create(alert=alert, user=client.rep, verdict="false_alarm")
    orders = Order.objects.count()

    with pytest.raises(CommandError, match="--reset"):
        seed("--clients", "5", "--weeks", "30", "--end", END, "--password", "pw")
    assert Client.objects.count() == 12 and Order.objects.count() == orders

    seed("--clients", "5", "--weeks", "30", "--end", END, "--password", "pw", "--reset")
    assert Client.objects.count() == 5
    assert not Alert.objects.exists() and not Feedback.objects.exists()
    assert Product.objects.count() == sum(len(p) for p in generator.PRODUCTS.values())
    assert User.objects.filter(role=User.Role.REP).count() == 4
    assert set(GroundTruth.objects.values_list("client__code", flat=True)) == set(
        Client.objects.values_list("code", flat=True)
    )
    # Rows created later get ids after the explicitly numbered ones.
    highest = max(Client.objects.values_list("pk", flat=True))
    assert Client.objects.create(code="NEW").pk > highest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--weeks", "10"], "--weeks must be at least 26"),
        (["--clients", "0"], "--clients must be at least 1"),
        (["--end", "29/03/2026"], "--end"),
    ],
)
def test_bad_arguments_are_reported(args, message):
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_bench_seed_prints_a_table():
    out = io.StringIO()
    call_command("bench_seed", "--clients", "10", "--weeks", "30", stdout=out, stderr=io.StringIO())
    table = out.getvalue()
    for row in ("database", "order lines", "write (s)", "total (s)", "lines / s"):
        assert row in table
    assert Client.objects.count() == 10


@pytest.mark.django_db
def test_bulk_load_leaves_indexes_and_foreign_keys_as_they_were():
    def schema():
        with connection.cursor() as cursor:
            return {
                table: connection.introspection.get_constraints(cursor, table)
                for table in (Order._meta.db_table, OrderLine._meta.db_table)
            }

    before = schema()
    seed("--clients", "5", "--weeks", "30", "--end", END, "--password", "pw")
    assert schema() == before
    line = OrderLine.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(product_id=10**9)
        connection.check_constraints(table_names=[OrderLine._meta.db_table])
