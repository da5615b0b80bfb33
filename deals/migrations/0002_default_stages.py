"""The default pipeline stages (editable in the admin afterwards)."""

from django.db import migrations

DEFAULT_STAGES = [
    # code, name, order, late, qualification, outcome
    ("prospecting", "Prospecting", 10, False, False, "open"),
    ("qualification", "Qualification", 20, False, True, "open"),
    ("proposal", "Proposal", 30, False, False, "open"),
    ("negotiation", "Negotiation", 40, True, False, "open"),
    ("closing", "Closing", 50, True, False, "open"),
    ("won", "Won", 90, True, False, "won"),
    ("lost", "Lost", 95, False, False, "lost"),
]


def create(apps, schema_editor):
    Stage = apps.get_model("deals", "Stage")
    for code, name, order, late, qualification, outcome in DEFAULT_STAGES:
        Stage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": order,
                "is_late": late,
                "is_qualification": qualification,
                "outcome": outcome,
            },
        )


def remove(apps, schema_editor):
    Stage = apps.get_model("deals", "Stage")
    Stage.objects.filter(code__in=[s[0] for s in DEFAULT_STAGES], opportunities=None).delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
