"""Stored cross-sell propensity: each refit (a versioned model with its training window and
validation figures), the admin's controls, and the latest score of every candidate pair.

Imported by ``recommender/models.py`` so that the tables belong to the ``recommender`` app.
"""

import pickle

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PropensityModel(models.Model):
    """One refit: the run's status and counts, and the fitted model it produced."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    version = models.PositiveIntegerField(unique=True, verbose_name=_("version"))
    as_of = models.DateField(verbose_name=_("as of"))
    window_start = models.DateField(
        null=True,
        blank=True,
        verbose_name=_("training window start"),
        help_text=_("First replayed as-of date of the training examples."),
    )
    window_end = models.DateField(
        null=True,
        blank=True,
        verbose_name=_("training window end"),
        help_text=_("End of the last label window used for training."),
    )
    horizon_weeks = models.PositiveSmallIntegerField(default=26, verbose_name=_("horizon (weeks)"))
    kind = models.CharField(
        max_length=16,
        blank=True,
        verbose_name=_("model"),
        help_text=_(
            "hgb: calibrated gradient boosting; voting: the soft-voting ensemble; "
            "none: too little signal in the data to fit a model."
        ),
    )
    threshold = models.FloatField(
        default=0.5,
        verbose_name=_("chosen threshold"),
        help_text=_("Probability that maximised F1 on the validation date."),
    )
    validation = models.JSONField(default=dict, blank=True, verbose_name=_("validation figures"))
    n_examples = models.PositiveIntegerField(default=0, verbose_name=_("training examples"))
    n_positives = models.PositiveIntegerField(default=0, verbose_name=_("positives"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    pairs_scored = models.PositiveIntegerField(default=0, verbose_name=_("pairs scored"))
    alerts_created = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    alerts_expired = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=False, verbose_name=_("current"))
    estimator = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        app_label = "recommender"
        ordering = ["-version"]
        verbose_name = _("cross-sell propensity model")
        verbose_name_plural = _("cross-sell propensity models")

    def __str__(self):
        return f"v{self.version} {self.kind or '-'} {self.as_of}"

    def load(self):
        """The fitted :class:`~recommender.propensity.stats.Fitted` (None when not stored)."""
        return pickle.loads(bytes(self.estimator)) if self.estimator else None

    @property
    def chosen(self):
        """The validation figures of the chosen model (empty when none)."""
        return (self.validation or {}).get(self.kind, {})


class PropensitySettings(models.Model):
    """The admin's controls of the cross-sell alerts (one row)."""

    enabled = models.BooleanField(
        default=True,
        verbose_name=_("raise cross-sell alerts"),
        help_text=_(
            "Off: the model is still refitted and shown on client pages, but no alert is raised."
        ),
    )
    threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        verbose_name=_("alert threshold"),
        help_text=_(
            "Minimum probability of a cross-sell alert; empty: the current model's "
            "chosen threshold."
        ),
    )
    max_alerts_per_rep_week = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(100)],
        verbose_name=_("maximum new cross-sell alerts per rep per week"),
        help_text=_("Keeps cross-sell from drowning the loss alerts in a rep's queue."),
    )

    class Meta:
        app_label = "recommender"
        verbose_name = _("cross-sell alert settings")
        verbose_name_plural = _("cross-sell alert settings")

    def __str__(self):
        return str(_("Cross-sell alert settings"))

    @classmethod
    def get(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class PropensityScore(models.Model):
    """The latest probability that a client starts buying a family it does not buy."""

    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("crm.ProductFamily", on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(PropensityModel, on_delete=models.CASCADE, related_name="scores")
    as_of = models.DateField()
    probability = models.FloatField()
    expected_value = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("Expected first-year euros if it buys.")
    )
    at_stake = models.DecimalField(max_digits=14, decimal_places=2)
    reasons = models.JSONField(default=list, blank=True)
    bundle_family = models.ForeignKey(
        "crm.ProductFamily", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "recommender"
        ordering = ["-probability"]
        constraints = [
            models.UniqueConstraint(fields=["client", "family"], name="propensity_unique_pair")
        ]

    def __str__(self):
        return f"{self.client_id}/{self.family_id}: {self.probability:.2f}"
