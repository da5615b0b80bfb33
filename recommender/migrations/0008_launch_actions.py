"""The launch approaches: visit, send a sample, call and e-mail apply to early-adopter alerts.

Adds ``launch_early_adopter`` to the kinds of those actions (creating any that is missing);
an action that applies to every kind (empty list) is left as it is.
"""

from django.db import migrations

KIND = "launch_early_adopter"
# code, Spanish, English, sort order if created
ACTIONS = [
    ("visit", "Visita", "Visit", 0),
    ("call", "Llamada", "Phone call", 10),
    ("email", "Email", "Email", 20),
    ("send_sample", "Enviar muestra", "Send sample", 30),
]


def add_kind(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    for code, name_es, name_en, order in ACTIONS:
        action, created = Action.objects.get_or_create(
            code=code,
            defaults={
                "name_es": name_es,
                "name_en": name_en,
                "alert_kinds": [KIND],
                "sort_order": order,
            },
        )
        if not created and action.alert_kinds and KIND not in action.alert_kinds:
            action.alert_kinds = [*action.alert_kinds, KIND]
            action.save(update_fields=["alert_kinds"])


def remove_kind(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    for action in Action.objects.filter(code__in=[a[0] for a in ACTIONS]):
        if KIND in (action.alert_kinds or []):
            action.alert_kinds = [k for k in action.alert_kinds if k != KIND]
            action.save(update_fields=["alert_kinds"])


class Migration(migrations.Migration):
    dependencies = [("recommender", "0007_launch")]

    operations = [migrations.RunPython(add_kind, remove_kind)]
