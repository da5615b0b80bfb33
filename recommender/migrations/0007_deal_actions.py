"""Deal-specific actions and their default priors, so the bandit chooses among what a sales
team does about a deal (or a pipeline) rather than among the buying alerts' actions.

The deals engine raises ``deal_at_risk``, ``deal_stalled`` and ``deal_skipped_qualification``
on one opportunity, and ``pipeline_win_rate_drop``, ``pipeline_late_losses`` and
``pipeline_risk_concentration`` to a manager. The kinds are data here (as in 0003): the
recommender imports no engine. Existing actions that fit a deal (visit, call, technical demo;
monitor for the pipeline) get the deal kinds added to their list unless the admin made them
apply to every kind (an empty list). Editable afterwards in the admin.
"""

from django.db import migrations

DEAL_KINDS = ["deal_at_risk", "deal_stalled", "deal_skipped_qualification"]
PIPELINE_KINDS = ["pipeline_win_rate_drop", "pipeline_late_losses", "pipeline_risk_concentration"]

# code, Spanish, English, alert kinds, sort order
NEW_ACTIONS = [
    (
        "executive_sponsor_call",
        "Llamada del directivo patrocinador",
        "Executive sponsor call",
        ["deal_at_risk", "deal_stalled"],
        100,
    ),
    ("requalify", "Recualificar", "Re-qualify", DEAL_KINDS, 110),
    ("discount_approval", "Aprobar descuento", "Discount approval", ["deal_at_risk"], 120),
    (
        "pipeline_review",
        "Revisión del embudo con el equipo",
        "Pipeline review",
        PIPELINE_KINDS,
        130,
    ),
    (
        "deal_coaching",
        "Acompañar al comercial en sus oportunidades",
        "Deal coaching",
        PIPELINE_KINDS,
        140,
    ),
]

# Existing actions (0003) and the kinds they now also apply to.
EXTENDED = {
    "visit": ["deal_at_risk", "deal_stalled"],
    "call": DEAL_KINDS,
    "technical_demo": ["deal_at_risk", "deal_stalled"],
    "monitor": PIPELINE_KINDS,
}

K = "{}|*|*|*".format

# (pattern, action, mean success rate, strength in equivalent past cases, why), as in 0006.
PRIORS = [
    (K("deal_at_risk"), "executive_sponsor_call", 0.40, 6, "A sponsor call saves a big deal."),
    (K("deal_at_risk"), "discount_approval", 0.35, 6, "A discount wins deals lost on price."),
    (K("deal_at_risk"), "visit", 0.35, 6, "A visit finds out what blocks the deal."),
    (K("deal_at_risk"), "call", 0.30, 6, "A call checks where the deal stands."),
    (K("deal_at_risk"), "technical_demo", 0.30, 4, "A demo answers technical doubts."),
    (K("deal_at_risk"), "requalify", 0.30, 4, "Re-qualifying shows whether it is still real."),
    (K("deal_stalled"), "call", 0.40, 8, "A call restarts most stalled deals."),
    (K("deal_stalled"), "requalify", 0.35, 6, "A deal stuck for long may no longer be real."),
    (K("deal_stalled"), "executive_sponsor_call", 0.30, 4, "A sponsor call unblocks it."),
    (K("deal_stalled"), "visit", 0.30, 6, "A visit to move it on."),
    (K("deal_stalled"), "technical_demo", 0.25, 4, "A demo if the doubt is technical."),
    (K("deal_skipped_qualification"), "requalify", 0.50, 8, "Qualify what was skipped."),
    (K("deal_skipped_qualification"), "call", 0.30, 6, "A call to check budget and need."),
    (K("pipeline_win_rate_drop"), "pipeline_review", 0.45, 6, "Review the segment's deals."),
    (K("pipeline_win_rate_drop"), "deal_coaching", 0.35, 6, "Coach the reps on that segment."),
    (K("pipeline_win_rate_drop"), "monitor", 0.20, 4, "One bad quarter may pass."),
    (K("pipeline_late_losses"), "deal_coaching", 0.45, 6, "Late losses: coach the closing."),
    (K("pipeline_late_losses"), "pipeline_review", 0.40, 6, "Review the late-stage deals."),
    (K("pipeline_late_losses"), "monitor", 0.15, 4, "Late losses rarely stop alone."),
    (K("pipeline_risk_concentration"), "pipeline_review", 0.50, 6, "Review the risky deals."),
    (K("pipeline_risk_concentration"), "deal_coaching", 0.30, 4, "Coach on the riskiest deals."),
    (K("pipeline_risk_concentration"), "monitor", 0.15, 4, "The forecast will not fix itself."),
]


def forwards(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    ArmPrior = apps.get_model("recommender", "ArmPrior")
    for code, name_es, name_en, kinds, order in NEW_ACTIONS:
        Action.objects.get_or_create(
            code=code,
            defaults={
                "name_es": name_es,
                "name_en": name_en,
                "alert_kinds": kinds,
                "sort_order": order,
            },
        )
    for code, kinds in EXTENDED.items():
        action = Action.objects.filter(code=code).first()
        if action is None or not action.alert_kinds:
            continue  # deleted by the admin, or already applies to every kind
        action.alert_kinds = [
            *action.alert_kinds,
            *(k for k in kinds if k not in action.alert_kinds),
        ]
        action.save(update_fields=["alert_kinds"])
    actions = {a.code: a for a in Action.objects.all()}
    for pattern, code, mean, strength, note in PRIORS:
        if code not in actions:
            continue
        ArmPrior.objects.get_or_create(
            context=pattern,
            action=actions[code],
            defaults={"alpha": mean * strength, "beta": (1 - mean) * strength, "note": note},
        )


def backwards(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    ArmPrior = apps.get_model("recommender", "ArmPrior")
    ArmPrior.objects.filter(context__in={p[0] for p in PRIORS}).delete()
    gone = set(DEAL_KINDS + PIPELINE_KINDS)
    for code in EXTENDED:
        action = Action.objects.filter(code=code).first()
        if action is not None and action.alert_kinds:
            action.alert_kinds = [k for k in action.alert_kinds if k not in gone]
            action.save(update_fields=["alert_kinds"])
    Action.objects.filter(
        code__in=[a[0] for a in NEW_ACTIONS], feedback__isnull=True, recommendations__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("recommender", "0006_default_priors")]

    operations = [migrations.RunPython(forwards, backwards)]
