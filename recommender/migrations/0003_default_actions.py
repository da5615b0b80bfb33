"""The default actions, in Spanish and English, with the alert kinds each applies to."""

from django.db import migrations

ALL_KINDS = [
    "partial_churn",
    "full_churn",
    "technical_deterioration",
    "suspicious_pause",
    "uncaptured_potential",
    "cross_family_decline",
    "campaign_no_response",
    "cross_sell",
]

# code, Spanish, English, alert kinds
ACTIONS = [
    ("visit", "Visita", "Visit", ALL_KINDS),
    ("call", "Llamada", "Phone call", ALL_KINDS),
    (
        "email",
        "Email",
        "Email",
        ["partial_churn", "suspicious_pause", "uncaptured_potential", "campaign_no_response",
         "cross_sell"],
    ),
    (
        "send_sample",
        "Enviar muestra",
        "Send sample",
        ["technical_deterioration", "uncaptured_potential", "campaign_no_response", "cross_sell"],
    ),
    (
        "technical_demo",
        "Demostración técnica",
        "Technical demo",
        ["technical_deterioration", "partial_churn", "uncaptured_potential", "cross_sell"],
    ),
    (
        "offer",
        "Oferta",
        "Offer",
        ["partial_churn", "full_churn", "cross_family_decline", "campaign_no_response",
         "uncaptured_potential", "cross_sell"],
    ),
    (
        "monitor",
        "Vigilar",
        "Monitor",
        ["suspicious_pause", "partial_churn", "technical_deterioration", "campaign_no_response"],
    ),
]


def create_actions(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    for order, (code, name_es, name_en, kinds) in enumerate(ACTIONS):
        Action.objects.update_or_create(
            code=code,
            defaults={
                "name_es": name_es,
                "name_en": name_en,
                "alert_kinds": kinds,
                "sort_order": order * 10,
            },
        )


def remove_actions(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    Action.objects.filter(
        code__in=[a[0] for a in ACTIONS], feedback__isnull=True, recommendations__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("recommender", "0002_bandit")]

    operations = [migrations.RunPython(create_actions, remove_actions)]
