"""Default priors: what an experienced sales team expects of each action, per alert kind.

Each row is (pattern, action, mean success rate, strength in equivalent past cases, why). The
kind-wide rows cover every action that applies to the kind; the narrower rows (a magnitude)
override them where sales knowledge says more. Editable afterwards in the admin.
"""

from django.db import migrations

K = "{}|*|*|*".format

PRIORS = [
    # Partial churn: go and see the client, above all when much of the buying is gone.
    (K("partial_churn"), "visit", 0.40, 8, "A visit is the usual first move on a partial churn."),
    (K("partial_churn"), "call", 0.35, 8, "A call finds out why the client buys less."),
    (K("partial_churn"), "email", 0.20, 6, "An e-mail is easy to ignore when a client drifts away."),
    (K("partial_churn"), "technical_demo", 0.20, 4, "A demo rarely answers a commodity drop."),
    (K("partial_churn"), "offer", 0.35, 6, "A price offer wins back buying lost to a rival."),
    (K("partial_churn"), "monitor", 0.15, 6, "Waiting seldom brings a drifting client back."),
    ("partial_churn|*|*|high", "visit", 0.50, 10, "A large partial churn: visit first."),
    ("partial_churn|*|*|low", "call", 0.40, 8, "A small drop: a call is usually enough."),
    ("partial_churn|*|*|low", "visit", 0.30, 6, "A visit is costly for a small drop."),
    # Full churn: the client has gone; a visit or an offer, a call rarely suffices.
    (K("full_churn"), "visit", 0.35, 8, "A client who stopped buying must be seen."),
    (K("full_churn"), "call", 0.20, 6, "A call seldom brings back a lost client."),
    (K("full_churn"), "offer", 0.30, 6, "An offer may win back a client lost on price."),
    # Technical deterioration: let the clinic try the product again.
    (K("technical_deterioration"), "send_sample", 0.45, 8, "A sample on technical decline."),
    (K("technical_deterioration"), "technical_demo", 0.40, 6, "A demo shows what changed."),
    (K("technical_deterioration"), "visit", 0.35, 6, "A visit uncovers a technical problem."),
    (K("technical_deterioration"), "call", 0.25, 6, "A call rarely settles a technical doubt."),
    (K("technical_deterioration"), "monitor", 0.15, 6, "Technical buying rarely comes back alone."),
    # Suspicious pause: often nothing; a call clears most of them up.
    (K("suspicious_pause"), "call", 0.40, 8, "A call clears up most pauses."),
    (K("suspicious_pause"), "email", 0.30, 6, "An e-mail reminder often suffices."),
    (K("suspicious_pause"), "visit", 0.25, 6, "A visit is heavy for a pause."),
    (K("suspicious_pause"), "monitor", 0.30, 6, "Many pauses end on their own."),
    # Uncaptured potential: depends on its size.
    (K("uncaptured_potential"), "visit", 0.35, 6, "A visit opens the conversation on more."),
    (K("uncaptured_potential"), "call", 0.30, 6, "A call tests the interest."),
    (K("uncaptured_potential"), "email", 0.25, 6, "An e-mail presents the range."),
    (K("uncaptured_potential"), "send_sample", 0.30, 6, "A sample lets the clinic try it."),
    (K("uncaptured_potential"), "technical_demo", 0.30, 4, "A demo for technical families."),
    (K("uncaptured_potential"), "offer", 0.30, 6, "An offer on the volume not yet bought."),
    ("uncaptured_potential|*|*|low", "email", 0.40, 8, "Small uncaptured potential: e-mail."),
    ("uncaptured_potential|*|*|low", "visit", 0.25, 6, "A visit costs more than it may win."),
    # Several families falling: the relationship itself is at risk.
    (K("cross_family_decline"), "visit", 0.45, 8, "Several families falling: see the client."),
    (K("cross_family_decline"), "call", 0.30, 6, "A call to find out what happened."),
    (K("cross_family_decline"), "offer", 0.35, 6, "An offer across the families."),
    # No response to a campaign: a reminder or the offer itself.
    (K("campaign_no_response"), "call", 0.35, 6, "A call reminds the client of the campaign."),
    (K("campaign_no_response"), "email", 0.30, 6, "An e-mail with the campaign's terms."),
    (K("campaign_no_response"), "visit", 0.25, 6, "A visit is heavy for a campaign."),
    (K("campaign_no_response"), "send_sample", 0.25, 4, "A sample of the promoted product."),
    (K("campaign_no_response"), "offer", 0.35, 6, "The campaign's offer, made personal."),
    (K("campaign_no_response"), "monitor", 0.15, 6, "Campaigns end; waiting misses it."),
    # Cross-sell: a new family is tried before it is bought.
    (K("cross_sell"), "send_sample", 0.40, 8, "A sample opens a new family."),
    (K("cross_sell"), "technical_demo", 0.35, 6, "A demo for a technical family."),
    (K("cross_sell"), "visit", 0.35, 6, "A visit to present the family."),
    (K("cross_sell"), "call", 0.25, 6, "A call to test the interest."),
    (K("cross_sell"), "email", 0.20, 6, "An e-mail with the range."),
    (K("cross_sell"), "offer", 0.30, 6, "An introductory offer."),
]


def create_priors(apps, schema_editor):
    Action = apps.get_model("recommender", "Action")
    ArmPrior = apps.get_model("recommender", "ArmPrior")
    actions = {a.code: a for a in Action.objects.all()}
    for pattern, code, mean, strength, note in PRIORS:
        if code not in actions:
            continue  # an action deleted by the admin
        ArmPrior.objects.get_or_create(
            context=pattern,
            action=actions[code],
            defaults={
                "alpha": mean * strength,
                "beta": (1 - mean) * strength,
                "note": note,
            },
        )


def remove_priors(apps, schema_editor):
    ArmPrior = apps.get_model("recommender", "ArmPrior")
    ArmPrior.objects.filter(context__in={p[0] for p in PRIORS}).delete()


class Migration(migrations.Migration):
    dependencies = [("recommender", "0005_armprior_patterns")]

    operations = [migrations.RunPython(create_priors, remove_priors)]
