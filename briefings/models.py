"""A rep's weekly spoken brief, their in-app notifications and their digest preference."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Brief(models.Model):
    """One spoken brief: the transcript of the top items of a queue and, when the synthesiser
    was there, its audio file (``audio_name`` under ``BRIEFINGS_AUDIO_DIR``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="briefs"
    )
    as_of = models.DateField()
    language = models.CharField(max_length=8, default="es")
    transcript = models.TextField()
    alert_ids = models.JSONField(default=list, blank=True, help_text=_("The items, in order."))
    audio_name = models.CharField(max_length=200, blank=True)
    audio_seconds = models.FloatField(null=True, blank=True)
    synth_seconds = models.FloatField(null=True, blank=True)
    audio_error = models.CharField(
        max_length=300, blank=True, help_text=_("Why there is no audio, when there is none.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = "created_at"
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"Brief {self.pk} for {self.user} ({self.as_of})"

    @property
    def has_audio(self):
        return bool(self.audio_name)


class Notification(models.Model):
    """One line of a user's in-app notification list; its text is rendered in the reader's
    language from ``event`` and ``params`` (:mod:`briefings.notifications`)."""

    class Event(models.TextChoices):
        ALERT_ASSIGNED = "alert_assigned", _("New alert")
        MANAGER_COMMENT = "manager_comment", _("Manager's comment")
        SNOOZE_ENDED = "snooze_ended", _("Snooze ended")
        RUN_FAILED = "run_failed", _("Run failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=32, choices=Event.choices)
    alert = models.ForeignKey(
        "crm.Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedup_key = models.CharField(
        max_length=200, unique=True, help_text=_("user:event:reference; a repeat is ignored.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self):
        return f"{self.get_event_display()} for {self.user}"


class DigestPreference(models.Model):
    """Whether a user gets the weekly e-mail digest (on unless switched off in the profile)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference"
    )
    weekly_digest = models.BooleanField(
        default=True, help_text=_("Send me the weekly e-mail digest.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user}: digest {'on' if self.weekly_digest else 'off'}"
