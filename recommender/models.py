"""Actions a rep can take, bandit priors and posteriors, recommendations and outcomes."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

#: Context name of an action's pooled prior/posterior (all contexts together).
POOLED = "*"
#: (upper bound in weeks, bucket) for a client's maturity; older relationships are "loyal".
MATURITY_BUCKETS = ((52, "new"), (156, "established"), (float("inf"), "loyal"))
#: (upper bound, bucket) for the relative size of the deviation (0..1).
MAGNITUDE_BUCKETS = ((1 / 3, "low"), (2 / 3, "mid"), (float("inf"), "high"))
#: The bucket of an alert whose evidence does not carry the value.
UNKNOWN = "na"
#: The family kind of alerts about several families at once (cross-family decline).
MIXED = "mixed"


def validate_context(value):
    """A context is ``*`` or ``alert kind|family kind|maturity|magnitude``."""
    from crm import kinds
    from crm.models import ProductFamily

    if value == POOLED:
        return
    allowed = (
        ("alert kind", {kind.code for kind in kinds.all_kinds()}),
        ("family kind", {*ProductFamily.Kind.values, MIXED, UNKNOWN}),
        ("maturity", {name for _, name in MATURITY_BUCKETS} | {UNKNOWN}),
        ("magnitude", {name for _, name in MAGNITUDE_BUCKETS} | {UNKNOWN}),
    )
    parts = value.split("|")
    if len(parts) != len(allowed):
        raise ValidationError(
            f"{value!r} is not '*' nor 'alert kind|family kind|maturity|magnitude'."
        )
    for part, (label, names) in zip(parts, allowed, strict=True):
        if part not in names:
            raise ValidationError(
                f"Unknown {label} {part!r}; expected one of {', '.join(sorted(names))}."
            )


def validate_pattern(value):
    """A prior's context: ``*``, a context, or a context with ``*`` for any part but the kind
    (``partial_churn|*|*|high`` is every large partial churn)."""
    parts = value.split("|")
    # A wildcard stands for any value of its part; "na" is valid in every part but the kind.
    validate_context("|".join([parts[0], *(UNKNOWN if p == POOLED else p for p in parts[1:])]))


def pattern_matches(pattern, context):
    """Whether a prior's ``pattern`` covers ``context``; returns its specificity or ``None``.

    The specificity is the number of parts the pattern names (4 for an exact context), so the
    most specific matching prior wins.
    """
    if pattern == POOLED:
        return None
    parts, wanted = pattern.split("|"), context.split("|")
    if len(parts) != len(wanted):
        return None
    if any(p != POOLED and p != w for p, w in zip(parts, wanted, strict=True)):
        return None
    return sum(p != POOLED for p in parts)


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


class BanditConfig(models.Model):
    """The bandit's settings: one row, edited in the admin (see :meth:`get`)."""

    default_alpha = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(1e-3)],
        help_text="Pooled default prior: successes pseudo-count of every action.",
    )
    default_beta = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(1e-3)],
        help_text="Pooled default prior: failures pseudo-count of every action.",
    )
    backoff_strength = models.FloatField(
        default=10.0,
        validators=[MinValueValidator(0.0)],
        help_text="Pseudo-observations a context borrows from the other contexts until the "
        "backoff can be estimated from the data (two contexts with evidence).",
    )
    discount = models.FloatField(
        default=0.98,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Weekly discount of old evidence (1 = never forget).",
    )
    engagement_weight = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0)],
        help_text="Weight of a rep's answer (I will act / False alarm) against a harvested "
        "outcome, which weighs 1.",
    )
    outcome_weeks = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1)],
        help_text="Weeks after an 'I will act' answer at which the outcome is judged.",
    )
    optimistic = models.BooleanField(
        default=True,
        help_text="Optimistic Thompson sampling: no posterior draw counts below the posterior "
        "mean, so clearly worse actions are tried less.",
    )
    propensity_samples = models.PositiveIntegerField(
        default=1000,
        validators=[MinValueValidator(10)],
        help_text="Thompson draws per alert used to estimate propensities.",
    )
    last_folded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "bandit settings"
        verbose_name_plural = "bandit settings"

    def __str__(self):
        return "Bandit settings"

    @classmethod
    def get(cls):
        config, _ = cls.objects.get_or_create(pk=1)
        return config


class ArmPrior(models.Model):
    """An explicit Beta prior for one action in the contexts a pattern covers.

    ``context`` is ``*`` (the action's pooled prior), an exact context, or a pattern with ``*``
    parts (``partial_churn|*|*|high``); a context takes the most specific matching prior.
    Without one, a context borrows its prior from the action's pooled posterior and the pooled
    posterior starts from the default prior in :class:`BanditConfig`. Edited as a mean success
    rate and a strength in equivalent past cases: ``alpha = mean x strength``,
    ``beta = (1 - mean) x strength``.
    """

    context = models.CharField(
        max_length=120,
        validators=[validate_pattern],
        help_text="'*' (the action's pooled prior) or 'alert kind|family kind|maturity|magnitude', "
        "where any part but the kind may be '*', e.g. partial_churn|*|*|high.",
    )
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="priors")
    alpha = models.FloatField(validators=[MinValueValidator(1e-3)])
    beta = models.FloatField(validators=[MinValueValidator(1e-3)])
    note = models.CharField(
        max_length=200, blank=True, help_text="Why: the sales knowledge this prior encodes."
    )

    class Meta:
        ordering = ["context", "action"]
        constraints = [
            models.UniqueConstraint(fields=["context", "action"], name="armprior_unique_arm")
        ]

    def __str__(self):
        return f"Prior {self.context} · {self.action.code}: Beta({self.alpha:g}, {self.beta:g})"

    @property
    def mean(self):
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self):
        """Equivalent past cases: how many outcomes the prior weighs like."""
        return self.alpha + self.beta


class Posterior(models.Model):
    """The evidence folded so far for one (context, action): discounted successes and failures.

    The Beta posterior is the arm's prior plus these counts; rows change only in
    :func:`recommender.services.fold_rewards`.
    """

    context = models.CharField(max_length=120)
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="posteriors")
    successes = models.FloatField(default=0.0)
    failures = models.FloatField(default=0.0)
    n_events = models.PositiveIntegerField(default=0, help_text="Reward events folded in.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["context", "action"]
        constraints = [
            models.UniqueConstraint(fields=["context", "action"], name="posterior_unique_arm")
        ]

    def __str__(self):
        return f"Posterior {self.context} · {self.action_id}"


class Recommendation(models.Model):
    """The action the policy chose for an alert, with the probability it had of choosing it."""

    alert = models.ForeignKey("crm.Alert", on_delete=models.CASCADE, related_name="recommendations")
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="recommendations")
    context = models.CharField(max_length=120)
    propensity = models.FloatField(help_text="Probability the policy chose this action.")
    confidence = models.FloatField(help_text="Posterior mean success rate of the action.")
    propensities = models.JSONField(
        default=dict, help_text="Probability of every eligible action, by action code."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["alert", "-created_at"])]

    def __str__(self):
        return f"{self.alert_id}: {self.action.code} (p={self.propensity:.2f})"


class RewardEvent(models.Model):
    """One piece of evidence for an arm, written as a row and folded into its posterior later."""

    class Kind(models.TextChoices):
        ENGAGED = "engaged", "Rep will act"
        FALSE_ALARM = "false_alarm", "False alarm"
        RECOVERED = "recovered", "Buying recovered"
        LOST = "lost", "Buying did not recover"

    context = models.CharField(max_length=120)
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reward_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    successes = models.FloatField(default=0.0)
    failures = models.FloatField(default=0.0)
    feedback = models.ForeignKey(
        "crm.Feedback", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recommendation = models.ForeignKey(
        Recommendation, null=True, blank=True, on_delete=models.SET_NULL, related_name="rewards"
    )
    created_at = models.DateTimeField(default=timezone.now)
    folded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feedback", "kind"],
                condition=Q(feedback__isnull=False),
                name="rewardevent_once_per_feedback",
            )
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(folded_at__isnull=True), name="rewardevent_unfolded"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.context} · {self.action_id}"


class Outcome(models.Model):
    """Whether a client's buying recovered in the weeks after a rep acted on an alert."""

    feedback = models.OneToOneField(
        "crm.Feedback", on_delete=models.CASCADE, related_name="outcome"
    )
    alert = models.ForeignKey("crm.Alert", on_delete=models.CASCADE, related_name="outcomes")
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="outcomes")
    context = models.CharField(max_length=120)
    window_start = models.DateField()
    window_weeks = models.PositiveSmallIntegerField()
    units_per_week = models.FloatField(help_text="Mean weekly units bought in the window.")
    threshold_units_per_week = models.FloatField()
    recovered = models.BooleanField()
    harvested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-harvested_at"]

    def __str__(self):
        state = "recovered" if self.recovered else "not recovered"
        return f"{self.alert_id} after {self.action.code}: {state}"


from .launch.models import Launch, LaunchAttributeWeight, LaunchTarget  # noqa: E402, F401
from .propensity.models import PropensityModel, PropensityScore, PropensitySettings  # noqa: E402, F401
