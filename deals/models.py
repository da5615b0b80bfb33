"""The sales pipeline: stages (data), opportunities, their stage history and scoring runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    """A pipeline stage. Stages are data: order, late-stage flag and outcome are editable."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    order = models.PositiveSmallIntegerField(help_text=_("Position in the pipeline, ascending."))
    is_late = models.BooleanField(
        default=False, help_text=_("A late stage (counts in the Pipeline Quality Score).")
    )
    outcome = models.CharField(
        max_length=8,
        choices=Outcome.choices,
        default=Outcome.OPEN,
        help_text=_("Open stages keep a deal open; Won/Lost close it."),
    )
    is_qualification = models.BooleanField(
        default=False, help_text=_("The qualification step a deal should not skip.")
    )

    class Meta:
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Opportunity(models.Model):
    class LeadSource(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")
        PARTNER = "partner", _("Partner")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    external_id = models.CharField(max_length=64, unique=True, help_text=_("Opportunity id."))
    name = models.CharField(max_length=200, blank=True)
    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="opportunities")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    family = models.ForeignKey(
        "crm.ProductFamily",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    product = models.ForeignKey(
        "crm.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    lead_source = models.CharField(
        max_length=16, choices=LeadSource.choices, default=LeadSource.OTHER
    )
    region = models.CharField(max_length=64, blank=True, db_index=True)
    segment = models.CharField(max_length=64, blank=True, help_text=_("Segment or industry."))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    created_date = models.DateField()
    expected_close_date = models.DateField(null=True, blank=True)
    closed_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OPEN)
    lost_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_date", "external_id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["outcome", "closed_date"]),
            models.Index(fields=["owner", "outcome"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="opportunity_amount_gte_0"
            )
        ]

    def __str__(self):
        return f"{self.external_id} {self.name}".strip()

    @property
    def is_open(self):
        return self.outcome == Outcome.OPEN


class StageChange(models.Model):
    """A deal entered ``stage`` on ``date`` (made by ``changed_by``)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="changes")
    date = models.DateField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stage_changes",
    )

    class Meta:
        ordering = ["opportunity", "date", "stage__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "stage", "date"], name="stagechange_unique"
            )
        ]

    def __str__(self):
        return f"{self.opportunity_id} -> {self.stage_id} on {self.date}"


class DealRun(models.Model):
    """One scoring of the pipeline: fit on closed deals, score the open ones, publish alerts."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    deals_scored = models.PositiveIntegerField(default=0)
    alerts_created = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    alerts_expired = models.PositiveIntegerField(default=0)
    model_info = models.JSONField(
        default=dict, blank=True, help_text=_("Training size, validation Brier, signal flag.")
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"Deal run {self.pk} as of {self.as_of} ({self.status})"


class DealScore(models.Model):
    """The latest P(loss) of an open deal with its top drivers (replaced by each run)."""

    opportunity = models.OneToOneField(Opportunity, on_delete=models.CASCADE, related_name="score")
    run = models.ForeignKey(DealRun, on_delete=models.CASCADE, related_name="scores")
    as_of = models.DateField()
    p_loss = models.FloatField()
    at_stake = models.DecimalField(max_digits=14, decimal_places=2)
    drivers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at_stake"]

    def __str__(self):
        return f"{self.opportunity_id}: P(loss)={self.p_loss:.2f}"
