"""A product launch, its per-client targets and the Gower attribute weights (admin-editable)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: A launch may be planned this far ahead; a later date is most likely a typo.
MAX_DAYS_AHEAD = 365


class LaunchAttributeWeight(models.Model):
    """The weight of one product attribute in the Gower distance (default 1; 0 ignores it).

    ``attribute`` is ``family``, ``line``, ``kind``, ``log_price`` or a key of
    ``Product.attributes``.
    """

    attribute = models.CharField(max_length=64, unique=True)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["attribute"]
        verbose_name = _("launch attribute weight")
        verbose_name_plural = _("launch attribute weights")

    def __str__(self):
        return f"{self.attribute}: {self.weight:g}"


class Launch(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        TARGETED = "targeted", _("Targeted")
        FAILED = "failed", _("Targeting failed")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    products = models.ManyToManyField(
        "crm.Product", related_name="launches", verbose_name=_("products")
    )
    launch_date = models.DateField(_("launch date"))
    target_per_rep = models.PositiveSmallIntegerField(
        _("targets per rep"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text=_("How many clients each rep gets in the queue for this launch."),
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    targeted_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateField(
        null=True, blank=True, help_text=_("Last day of the history the targeting used.")
    )
    band_table = models.JSONField(default=list, blank=True, editable=False)
    model_info = models.JSONField(default=dict, blank=True, editable=False)
    report = models.JSONField(default=dict, blank=True, editable=False)
    error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-launch_date", "-pk"]
        verbose_name = _("launch")
        verbose_name_plural = _("launches")

    def __str__(self):
        return f"{self.name} ({self.launch_date})"

    def clean(self):
        if self.launch_date and self.launch_date > timezone.localdate() + dt.timedelta(
            days=MAX_DAYS_AHEAD
        ):
            raise ValidationError(
                {
                    "launch_date": _(
                        "The launch date is more than a year ahead; targeting uses the history "
                        "up to today, so plan it nearer the date."
                    )
                }
            )


class LaunchTarget(models.Model):
    """One client's scores for a launch; ``targeted`` when it went into its rep's queue."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="targets")
    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "crm.Product",
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Nearest new product."),
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_score = models.FloatField()
    lookalike = models.FloatField()
    appetence = models.FloatField()
    combined = models.FloatField(help_text=_("Estimated chance of buying within 12 weeks."))
    expected_value = models.DecimalField(max_digits=14, decimal_places=2)
    band = models.CharField(max_length=40, blank=True)
    rules = models.JSONField(default=list, blank=True)
    rank = models.PositiveIntegerField(default=0, help_text=_("Rank within the rep's clients."))
    targeted = models.BooleanField(default=False)
    alert = models.ForeignKey(
        "crm.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bought = models.BooleanField(null=True, blank=True)
    bought_on = models.DateField(null=True, blank=True)
    judged_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["launch", "-combined"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "client"], name="launchtarget_unique_client")
        ]

    def __str__(self):
        return str(self.client)
