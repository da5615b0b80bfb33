"""Planted ground truth of the synthetic demo, for tests and benchmarks.

One row per (client, family) pair the generator made: every pair the client buys, plus the
``cross_sell`` pairs (a potential but no purchases). ``onset`` is the Monday of the first week
of the planted change; ``params`` holds the generating parameters (see README, demo-data).
"""

from django.db import models


class GroundTruth(models.Model):
    class Scenario(models.TextChoices):
        STABLE = "stable"
        GROWING = "growing"
        PARTIAL_CHURN = "partial_churn"
        FULL_CHURN = "full_churn"
        TECHNICAL_SILENCE = "technical_silence"
        UNCAPTURED_POTENTIAL = "uncaptured_potential"
        UNRELIABLE_POTENTIAL = "unreliable_potential"
        CROSS_SELL = "cross_sell"  # never bought the family, yet has a stated potential
        CAMPAIGN_NO_RESPONSE = "campaign_no_response"  # buys as usual through every campaign
        TECHNICAL_PAUSE = "technical_pause"  # lengthening gaps, a silence past the usual P75

    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("crm.ProductFamily", on_delete=models.CASCADE, related_name="+")
    scenario = models.CharField(max_length=32, choices=Scenario.choices)
    onset = models.DateField(null=True, blank=True, help_text="Week the change starts.")
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "family"], name="groundtruth_unique_pair")
        ]
        indexes = [models.Index(fields=["scenario", "family"])]

    def __str__(self):
        return f"{self.client_id}/{self.family_id}: {self.scenario}"
