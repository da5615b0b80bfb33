"""The CRM domain: people, clients, catalogue, orders, potentials, alerts and feedback."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import kinds


class Territory(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "territories"

    def __str__(self):
        return f"{self.code} {self.name}"


class User(AbstractUser):
    class Role(models.TextChoices):
        REP = "rep", _("Sales rep")
        MANAGER = "manager", _("Sales manager")
        ADMIN = "admin", _("Admin")

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REP)
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team",
        limit_choices_to={"role": "manager"},
        help_text=_("The sales manager whose team this rep belongs to."),
    )
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default="es", help_text=_("Preferred language.")
    )
    weekly_capacity = models.PositiveSmallIntegerField(
        _("weekly capacity"),
        default=25,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Alerts this rep can work in a week: the queue's 'This week' shows this many, "
            "largest euros at stake first; the rest stay one click away."
        ),
    )

    @property
    def is_rep(self):
        return self.role == self.Role.REP

    @property
    def is_manager(self):
        return self.role == self.Role.MANAGER

    @property
    def is_crm_admin(self):
        return self.role == self.Role.ADMIN or self.is_superuser


class Client(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    province = models.CharField(max_length=64, blank=True, db_index=True)
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="clients"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
        limit_choices_to={"role": "rep"},
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["rep", "code"])]

    def __str__(self):
        return f"{self.code} {self.name}".strip()


class ProductLine(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class ProductFamily(models.Model):
    class Kind(models.TextChoices):
        COMMODITY = "commodity", _("Commodity")
        TECHNICAL = "technical", _("Technical")

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMMODITY)
    line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="families"
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "product families"

    def __str__(self):
        return self.name


class Product(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    family = models.ForeignKey(ProductFamily, on_delete=models.PROTECT, related_name="products")
    launch_date = models.DateField(null=True, blank=True)
    list_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}".strip()


class Order(models.Model):
    """An invoice: one client, one date, several lines."""

    invoice_number = models.CharField(max_length=64, unique=True)
    date = models.DateField()
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="orders")

    class Meta:
        ordering = ["-date", "invoice_number"]
        indexes = [models.Index(fields=["client", "date"])]

    def __str__(self):
        return self.invoice_number


class OrderLine(models.Model):
    """One invoice line. Negative units are returns; zero units with a value adjust a price.

    ``date``, ``client`` and ``family`` repeat the order's and product's so that a scoring run
    reads one table in (client, family, date) order without joins.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    units = models.DecimalField(max_digits=12, decimal_places=2)
    net_value = models.DecimalField(max_digits=14, decimal_places=2)
    date = models.DateField()
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="order_lines")
    family = models.ForeignKey(ProductFamily, on_delete=models.PROTECT, related_name="order_lines")

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="orderline_unique_line")
        ]
        indexes = [
            models.Index(fields=["client", "family", "date"]),
            models.Index(fields=["date"]),
        ]

    def __str__(self):
        return f"{self.order_id}/{self.line_number}"


class Potential(models.Model):
    """Annual purchase potential of a client for a family, as estimated by ``source``."""

    #: The source of the potentials the insights engine estimates from the twins' forecast of
    #: a client with room to grow (only where no other source states one; see
    #: docs/insights.md "Room to grow"). A stated-potential measure leaves them out.
    FORECAST_SOURCE = "insights_forecast"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="potentials")
    family = models.ForeignKey(ProductFamily, on_delete=models.CASCADE, related_name="potentials")
    annual_potential = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.CharField(max_length=64, default="erp")
    estimated_share = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "Share of a category's potential given to this family, estimated from sales, when "
            "the source states it per category covering several families; empty when stated."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "family", "source"], name="potential_unique_source"
            )
        ]

    def __str__(self):
        return f"{self.client} {self.family}: {self.annual_potential}"


class Campaign(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    start = models.DateField()
    end = models.DateField()
    families = models.ManyToManyField(
        ProductFamily,
        blank=True,
        related_name="campaigns",
        help_text=_("Families the campaign promotes; empty means all."),
    )

    class Meta:
        ordering = ["-start"]

    def __str__(self):
        return self.code


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACTING = "acting", _("Acting")
        SNOOZED = "snoozed", _("Snoozed")
        DISMISSED = "dismissed", _("Dismissed")
        RESOLVED = "resolved", _("Resolved")
        EXPIRED = "expired", _("Expired")

    #: Statuses in which an alert is live and deduplicated by (client, family, kind).
    LIVE_STATUSES = (Status.OPEN, Status.ACTING, Status.SNOOZED)

    #: Empty only for an alert about no single client (a pipeline-level alert to a manager),
    #: which then names its ``recipient``.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="addressed_alerts",
        help_text=_(
            "Whose queue an alert about no single client goes to (a manager, for a "
            "pipeline-level alert); empty for client alerts, which go to the client's rep."
        ),
    )
    family = models.ForeignKey(
        ProductFamily, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    #: One of the kinds the engines register in ``crm.kinds`` (crm names none of them).
    kind = models.CharField(max_length=32, choices=kinds.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    dedup_key = models.CharField(
        max_length=200, help_text=_("client:family:kind; unique among live alerts.")
    )
    priority = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text=_("Expected euros at stake.")
    )
    score = models.FloatField(
        default=0.0, help_text=_("Probability of the signal, or 1 - tail p-value.")
    )
    p_value = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    as_of = models.DateField(help_text=_("Date of the scoring that last confirmed the alert."))
    scoring_run = models.ForeignKey(
        "twins.ScoringRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    snoozed_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=["open", "acting", "snoozed"]),
                name="alert_unique_live_dedup_key",
            ),
            models.CheckConstraint(
                condition=Q(client__isnull=False) | Q(recipient__isnull=False),
                name="alert_has_client_or_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-priority"]),
            models.Index(fields=["client", "status"]),
            models.Index(fields=["kind", "status"]),
            # The queue: alerts still to answer, walked in rank order...
            models.Index(
                fields=["-priority", "-created_at", "id"],
                condition=Q(status__in=["open", "snoozed"]),
                name="alert_todo_rank",
            ),
            # ...and counted per kind for a rep's clients without reading the table.
            models.Index(
                fields=["client"],
                include=["status", "kind", "priority", "snoozed_until"],
                condition=Q(status__in=["open", "snoozed"]),
                name="alert_todo_client",
            ),
        ]

    def __str__(self):
        about = self.client if self.client_id else (self.evidence or {}).get("subject_label", "")
        return f"{self.get_kind_display()} · {about or '-'} · {self.family or '-'}"

    @staticmethod
    def make_dedup_key(client_id, family_id, kind):
        return f"{client_id}:{family_id or '-'}:{kind}"

    @property
    def is_live(self):
        return self.status in self.LIVE_STATUSES

    def clean(self):
        super().clean()
        if not self.client_id and not self.recipient_id:
            raise ValidationError(_("An alert needs a client or a recipient."))


class Feedback(models.Model):
    class Verdict(models.TextChoices):
        ACT = "act", _("I will act")
        FALSE_ALARM = "false_alarm", _("False alarm")
        SNOOZE = "snooze", _("Snooze")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    action = models.ForeignKey(
        "recommender.Action",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    reason = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    snooze_until = models.DateField(null=True, blank=True)
    idempotency_key = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Sent with the form so a double submission is recorded once."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["alert", "-created_at"])]

    def __str__(self):
        return f"{self.alert_id} {self.verdict} by {self.user}"


class VisitNote(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="visit_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_notes"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.client} {self.created_at:%Y-%m-%d}"
