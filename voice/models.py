"""Voice of the client: survey responses, the analysis of every comment and visit note, and
the runs that raise detractor alerts.

The analysis of a ``crm.VisitNote`` lives here (``TextAnalysis.note``), not in ``crm``: crm
imports no engine.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: Longest comment stored; a longer one is cut there (and the import says so).
COMMENT_MAX_LENGTH = 5000


class SurveyResponse(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web form")
        PHONE = "phone", _("Phone")
        VISIT = "visit", pgettext_lazy("voice", "Visit")
        OTHER = "other", pgettext_lazy("voice", "Other")

    response_id = models.CharField(
        max_length=64, unique=True, help_text=_("The survey tool's id: re-imports update it.")
    )
    client = models.ForeignKey(
        "crm.Client", on_delete=models.CASCADE, related_name="survey_responses"
    )
    date = models.DateField()
    nps = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
        help_text=_("How likely to recommend us, 0-10; empty when not answered."),
    )
    overall = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text=_("Overall satisfaction, 0-5."),
    )
    would_recommend = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.OTHER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="survey_nps_0_10"
            ),
            models.CheckConstraint(
                condition=Q(overall__isnull=True) | Q(overall__lte=5), name="survey_overall_0_5"
            ),
        ]

    def __str__(self):
        return f"{self.response_id} {self.client_id} {self.date} NPS {self.nps}"


class TextAnalysis(models.Model):
    """Sentiment, language, complaint themes and NPS category of one survey comment or one
    visit note (exactly one of the two)."""

    class Label(models.TextChoices):
        NEGATIVE = "neg", _("Negative")
        NEUTRAL = "neu", _("Neutral")
        POSITIVE = "pos", _("Positive")

    class Category(models.TextChoices):
        DETRACTOR = "detractor", _("Detractor")
        PASSIVE = "passive", _("Passive")
        PROMOTER = "promoter", _("Promoter")

    survey = models.OneToOneField(
        SurveyResponse, null=True, blank=True, on_delete=models.CASCADE, related_name="analysis"
    )
    note = models.OneToOneField(
        "crm.VisitNote",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="voice_analysis",
    )
    client = models.ForeignKey("crm.Client", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    language = models.CharField(max_length=2, blank=True, help_text=_("es, en or empty."))
    polarity = models.FloatField(default=0.0, help_text=_("-1 (negative) to +1 (positive)."))
    label = models.CharField(max_length=3, choices=Label.choices, default=Label.NEUTRAL)
    is_complaint = models.BooleanField(default=False)
    themes = models.JSONField(default=list, blank=True)
    quote = models.TextField(blank=True, help_text=_("The most negative sentence."))
    nps_category = models.CharField(max_length=10, choices=Category.choices, blank=True)
    nps_predicted = models.BooleanField(
        default=False, help_text=_("The category was predicted from text and scores.")
    )
    text_hash = models.CharField(max_length=64, blank=True)
    analysed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "text analyses"
        indexes = [
            models.Index(fields=["client", "date"]),
            models.Index(fields=["is_complaint", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(survey__isnull=False) & Q(note__isnull=True))
                | (Q(survey__isnull=True) & Q(note__isnull=False)),
                name="analysis_survey_xor_note",
            )
        ]

    def __str__(self):
        source = f"survey {self.survey_id}" if self.survey_id else f"note {self.note_id}"
        return f"{source}: {self.label} {self.polarity:+.2f}"


class VoiceRun(models.Model):
    """One pass of the engine: analyse pending texts, predict missing NPS categories, raise or
    refresh detractor alerts."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    analysed = models.PositiveIntegerField(default=0)
    alerts_created = models.PositiveIntegerField(default=0)
    alerts_updated = models.PositiveIntegerField(default=0)
    alerts_expired = models.PositiveIntegerField(default=0)
    model_info = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"Voice run {self.pk} as of {self.as_of} ({self.status})"
