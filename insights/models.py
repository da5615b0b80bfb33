"""Client insights: segments (with their admin-editable playbook), each client's segment over
time, churn-risk tiers (admin-editable thresholds and actions) and each client's latest score.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Default label of each segment code (``insights.stats.segments.NAMES``).
SEGMENT_LABELS = {
    "at_risk": _("At risk"),
    "premium_regulars": _("Premium regulars"),
    "growing": _("Growing"),
    "single_family": _("Single-family"),
    "occasional": _("Occasional buyers"),
    "steady": _("Steady buyers"),
    "lapsed": _("Lapsed"),
    "declining": _("Declining"),
    "small_regulars": _("Small regulars"),
}


class InsightsRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    clients = models.PositiveIntegerField(default=0)
    alerts_created = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    alerts_expired = models.PositiveIntegerField(default=0)
    alerts_merged = models.PositiveIntegerField(
        default=0, help_text=_("HIGH clients whose twins already raised a stop-buying alert.")
    )
    segmentation = models.JSONField(default=dict, blank=True, help_text=_("k, silhouettes."))
    model_info = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text=_("Seconds per phase."))
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"Insights run {self.pk} as of {self.as_of} ({self.status})"


class Segment(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(
        max_length=80, blank=True, help_text=_("Shown instead of the default name when set.")
    )
    playbook = models.TextField(blank=True, help_text=_("What to do with clients of this segment."))
    profile = models.JSONField(default=dict, blank=True, help_text=_("From the latest run."))

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        if self.name:
            return self.name
        return SEGMENT_LABELS.get(self.code, self.code)


class SegmentMembership(models.Model):
    """A client's segment as of a run's date; the history shows the moves."""

    client = models.ForeignKey(
        "crm.Client", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    as_of = models.DateField()
    run = models.ForeignKey(InsightsRun, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["client", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["client", "as_of"], name="segmentmembership_unique_day")
        ]
        indexes = [models.Index(fields=["as_of", "segment"])]

    def __str__(self):
        return f"{self.client_id} in {self.segment} as of {self.as_of}"


class ChurnTier(models.Model):
    class Code(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    code = models.CharField(max_length=8, choices=Code.choices, unique=True)
    min_probability = models.FloatField(
        help_text=_("Lower bound of P(no order in 90 days) for this tier (HIGH: strictly above).")
    )
    action = models.CharField(max_length=200, blank=True)
    alert_min_at_stake = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("HIGH only: euros at stake (12-month value x P) needed to raise an alert."),
    )

    class Meta:
        ordering = ["-min_probability"]

    def __str__(self):
        return self.get_code_display()


class ChurnScore(models.Model):
    """A client's latest churn risk (replaced by each run)."""

    client = models.OneToOneField("crm.Client", on_delete=models.CASCADE, related_name="churn")
    run = models.ForeignKey(InsightsRun, null=True, blank=True, on_delete=models.SET_NULL)
    as_of = models.DateField()
    p_churn = models.FloatField(help_text=_("P(no order in the next 90 days)."))
    tier = models.CharField(max_length=8, choices=ChurnTier.Code.choices)
    value_12m = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    at_stake = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    reasons = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=dict, blank=True)
    merged_into = models.ForeignKey(
        "crm.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["tier"])]

    def __str__(self):
        return f"{self.client_id}: {self.p_churn:.2f} ({self.tier})"


class ValueForecast(models.Model):
    """A client's next-quarter (13-week) net value forecast as of a refit date, with its 80 %
    interval. Kept a few months (the interval is calibrated on the forecasts of a quarter ago
    against what the clients then bought); the page and the API show the latest."""

    class Method(models.TextChoices):
        TWINS = "twins", _("Twins' per-family forecasts summed")
        LAST_QUARTER = "last_quarter", _("Same as last quarter")

    client = models.ForeignKey(
        "crm.Client", on_delete=models.CASCADE, related_name="value_forecasts"
    )
    run = models.ForeignKey(InsightsRun, null=True, blank=True, on_delete=models.SET_NULL)
    as_of = models.DateField()
    method = models.CharField(max_length=16, choices=Method.choices)
    expected = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("Net value expected in the next 13 weeks.")
    )
    low = models.DecimalField(max_digits=14, decimal_places=2, help_text=_("80 % interval, low."))
    high = models.DecimalField(max_digits=14, decimal_places=2, help_text=_("80 % interval, high."))
    last_quarter = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text=_("Net value in the last 13 weeks.")
    )
    room_to_grow = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_(
            "Forecast minus last quarter where the forecast is at least 1.5 times it and "
            "1,000 euros above it; else 0."
        ),
    )

    class Meta:
        ordering = ["client", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["client", "as_of"], name="valueforecast_unique_day")
        ]
        indexes = [models.Index(fields=["as_of", "room_to_grow"])]

    def __str__(self):
        return f"{self.client_id}: {self.expected} ({self.low}-{self.high}) as of {self.as_of}"


class TerritoryWeights(models.Model):
    """The territory ranking's weights and tier bounds: one row (``load()``), edited in the
    admin. Weights are divided by their sum, so they need not add up to 100."""

    revenue = models.FloatField(_("revenue weight"), default=35, validators=[MinValueValidator(0)])
    active_clients = models.FloatField(
        _("active clients weight"), default=30, validators=[MinValueValidator(0)]
    )
    growth = models.FloatField(
        _("growth weight"),
        default=20,
        validators=[MinValueValidator(0)],
        help_text=_("Growth of the 12-month revenue against the 12 months before."),
    )
    potential = models.FloatField(
        _("potential captured weight"),
        default=15,
        validators=[MinValueValidator(0)],
        help_text=_("Share of the clients' stated potential captured in 12 months."),
    )
    premium_above = models.FloatField(
        _("premium above"),
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("A score strictly above this is Premium."),
    )
    underperforming_below = models.FloatField(
        _("underperforming below"),
        default=40,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("A score strictly below this is Underperforming."),
    )

    class Meta:
        verbose_name = _("territory ranking weights")
        verbose_name_plural = _("territory ranking weights")

    def __str__(self):
        return str(_("Territory ranking weights"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    def clean(self):
        weights = (self.revenue, self.active_clients, self.growth, self.potential)
        if any(w is None for w in weights):
            return
        if sum(weights) <= 0:
            raise ValidationError(_("At least one weight must be above zero."))
        if (
            self.premium_above is not None
            and self.underperforming_below is not None
            and self.underperforming_below > self.premium_above
        ):
            raise ValidationError(
                {"underperforming_below": _("Must not be above the Premium bound.")}
            )

    @classmethod
    def load(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def as_dict(self):
        """Component -> weight, in the pure module's codes."""
        return {
            "revenue": self.revenue,
            "clients": self.active_clients,
            "growth": self.growth,
            "potential": self.potential,
        }

    def shares(self):
        """Component -> share of the total weight (0-1)."""
        total = sum(self.as_dict().values()) or 1.0
        return {k: v / total for k, v in self.as_dict().items()}


class TerritoryFigure(models.Model):
    """A territory's or province's figures as of a quarter end, from the latest refit; the
    score, rank and tier are computed from them with the current weights when read."""

    class Level(models.TextChoices):
        TERRITORY = "territory", _("Territory")
        PROVINCE = "province", _("Province")

    run = models.ForeignKey(InsightsRun, null=True, blank=True, on_delete=models.SET_NULL)
    level = models.CharField(max_length=16, choices=Level.choices)
    unit = models.CharField(max_length=64, help_text=_("Territory code or province name."))
    name = models.CharField(max_length=200, blank=True)
    as_of = models.DateField()
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    revenue_prev = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    active_clients = models.PositiveIntegerField(default=0)
    captured = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    potential = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["level", "unit", "as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "unit", "as_of"], name="territoryfigure_unique_day"
            )
        ]

    def __str__(self):
        return f"{self.level} {self.unit} as of {self.as_of}"
