"""Planted ground truth of the synthetic demo, for tests and benchmarks."""

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

    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("crm.ProductFamily", on_delete=models.CASCADE, related_name="+")
    scenario = models.CharField(max_length=32, choices=Scenario.choices)
    onset = models.DateField(null=True, blank=True, help_text="Week the change starts.")
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "family"], name="groundtruth_unique_pair")
        ]

    def __str__(self):
        return f"{self.client_id}/{self.family_id}: {self.scenario}"
