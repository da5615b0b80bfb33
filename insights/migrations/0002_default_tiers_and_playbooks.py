from django.db import migrations


def create(apps, schema_editor):
    from insights import defaults

    ChurnTier = apps.get_model("insights", "ChurnTier")
    Segment = apps.get_model("insights", "Segment")
    for code, (p, action, min_stake) in defaults.TIERS.items():
        ChurnTier.objects.get_or_create(
            code=code,
            defaults={"min_probability": p, "action": action, "alert_min_at_stake": min_stake},
        )
    for code, playbook in defaults.PLAYBOOKS.items():
        Segment.objects.get_or_create(code=code, defaults={"playbook": playbook})


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_segments_and_churn_risk")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
