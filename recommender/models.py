"""Actions a rep can take, bandit priors and posteriors, recommendations and outcomes."""

from django.db import models
from django.utils.translation import get_language


class Action(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name_es = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    alert_kinds = models.JSONField(
        default=list, blank=True, help_text="Alert kinds the action applies to; empty = all."
    )
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.name_en if (get_language() or "es").startswith("en") else self.name_es

    def applies_to(self, alert_kind):
        return not self.alert_kinds or alert_kind in self.alert_kinds
