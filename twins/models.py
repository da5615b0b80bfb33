"""Scoring runs and the fitted twin of each (client, family) pair."""

from django.db import models
from django.utils import timezone


class ScoringRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        PUBLISHING = "publishing", "Publishing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Stopped: another run was active"

    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    shards_total = models.PositiveIntegerField(default=0)
    shards_done = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0)
    alerts_created = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    alerts_expired = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per phase.")
    error = models.TextField(blank=True)
    horizon = models.PositiveSmallIntegerField(default=8, help_text="Forecast horizon in weeks.")
    shard_bounds = models.JSONField(
        default=list, blank=True, help_text="Lowest client id of each shard, ascending."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life: start, a shard staged, publishing."
    )

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"Run {self.pk} as of {self.as_of} ({self.status})"

    ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING, Status.PUBLISHING)

    @property
    def progress(self):
        return self.shards_done / self.shards_total if self.shards_total else 0.0

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES


class ShardResult(models.Model):
    """One shard's scores, staged until the run publishes them all at once.

    ``arrays`` holds the per-pair columns as an ``.npz`` archive; ``alerts`` the alert
    candidates with database ids as zlib-compressed JSON (their evidence makes them large).
    A re-delivered shard overwrites its own row.
    """

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="shard_results")
    shard = models.PositiveIntegerField()
    pairs = models.PositiveIntegerField(default=0)
    arrays = models.BinaryField()
    alerts = models.BinaryField()
    alerts_count = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "shard"]
        constraints = [
            models.UniqueConstraint(fields=["run", "shard"], name="shardresult_unique_shard")
        ]

    def __str__(self):
        return f"Run {self.run_id} shard {self.shard}"


class TwinState(models.Model):
    """The published twin of one (client, family) pair, from the latest successful run."""

    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="twins")
    family = models.ForeignKey("crm.ProductFamily", on_delete=models.CASCADE, related_name="twins")
    kind = models.CharField(max_length=16)
    as_of = models.DateField()
    scoring_run = models.ForeignKey(
        ScoringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="twins"
    )
    mature = models.BooleanField(default=False)
    params = models.JSONField(default=dict, blank=True, help_text="Fitted parameters.")
    expected_next = models.FloatField(default=0.0, help_text="Expected units next week.")
    band_low = models.FloatField(default=0.0, help_text="Next-week P5.")
    band_high = models.FloatField(default=0.0, help_text="Next-week P95.")
    p_active = models.FloatField(default=1.0, help_text="Probability the client still buys.")
    forecast_units = models.FloatField(default=0.0, help_text="Expected units over the horizon.")
    forecast_weeks = models.PositiveSmallIntegerField(default=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "family"], name="twinstate_unique_pair")
        ]

    def __str__(self):
        return f"Twin {self.client_id}/{self.family_id} as of {self.as_of}"
