"""Serializers of the REST API: read shapes, write payloads and the documented error shapes."""

import datetime
import re

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm import kinds
from crm.models import Alert, Client, Feedback, Order, OrderLine, Potential, Product, ProductFamily
from crm.services import COMMENT_MAX_LENGTH, REASON_MAX_LENGTH
from recommender.models import Action
from twins.models import ScoringRun, TwinState
from web import kinds as web_kinds
from web import selectors as web_selectors

#: Keys of one row of a bulk order upload (the same columns as the CSV import).
ORDER_ROW_KEYS = ("invoice", "line", "date", "client", "product", "units", "net_value")

#: Characters a text column cannot hold.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Contains a NUL or surrogate character."

#: Earliest date a scoring run may be asked for.
EARLIEST_AS_OF = datetime.date(2000, 1, 1)

#: Most rows one bulk upload may carry; larger extracts go in several requests.
MAX_ORDER_ROWS = 10_000


class ClientSerializer(serializers.ModelSerializer):
    territory = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rep = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Client
        fields = ["id", "code", "name", "postcode", "province", "territory", "rep", "created_at"]


class FamilySerializer(serializers.ModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ProductFamily
        fields = ["id", "code", "name", "kind", "line"]


class ProductSerializer(serializers.ModelSerializer):
    family = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "code", "name", "family", "launch_date", "list_price", "attributes"]


class OrderLineSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    family = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["line_number", "product", "family", "units", "net_value"]


class OrderSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "invoice_number", "date", "client", "lines"]


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}]})
class TextOrNumberField(serializers.CharField):
    """Text, or a JSON number read as its text."""


class OrderRowSerializer(serializers.Serializer):
    """One invoice line as the ERP exports it; the values are checked row by row on import."""

    invoice = serializers.CharField(help_text="Invoice number.")
    line = TextOrNumberField(
        required=False,
        help_text="Line number within the invoice (1, 2, ...); blank numbers rows in order.",
    )
    date = serializers.CharField(help_text="Invoice date, YYYY-MM-DD or M/D/YYYY.")
    client = serializers.CharField(help_text="Client code.")
    product = serializers.CharField(help_text="Product code.")
    units = TextOrNumberField(help_text="Units, decimal point; negative for returns.")
    net_value = TextOrNumberField(help_text="Net value in euros, decimal point.")


class OrderUploadSerializer(serializers.Serializer):
    """The body of a bulk order upload: ``{"rows": [...]}``, at most ``MAX_ORDER_ROWS`` rows."""

    rows = serializers.ListField(child=serializers.JSONField(), max_length=MAX_ORDER_ROWS)


def order_rows_as_text(rows):
    """Turn JSON rows into the text rows the importer reads, as a CSV reader would give them.

    Returns ``(rows, errors)``; ``errors`` (importer-shaped, rows 1-based) names values that
    are not text or a number, or that hold characters no database stores (NUL, lone
    surrogates). Missing keys become blank.
    """
    cleaned, errors = [], []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors.append(
                {"row": number, "field": "non_field_errors", "message": "Expected an object."}
            )
            continue
        values = {}
        for key in ORDER_ROW_KEYS:
            value = row.get(key)
            if value is None:
                values[key] = ""
            elif isinstance(value, (dict, list, bool)):
                errors.append(
                    {"row": number, "field": key, "message": "Expected text or a number."}
                )
            elif _UNSTORABLE.search(str(value)):
                errors.append(
                    {
                        "row": number,
                        "field": key,
                        "message": "Contains a NUL or surrogate character.",
                    }
                )
            else:
                values[key] = str(value)
        cleaned.append(values)
    return cleaned, errors


class OrderUploadDocSerializer(serializers.Serializer):
    rows = OrderRowSerializer(many=True, help_text=f"At most {MAX_ORDER_ROWS} rows.")


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Position of the row in `rows`, counting from 1.")
    field = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    read = serializers.IntegerField()
    imported = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows already stored (same invoice and line).")
    errors = RowErrorSerializer(many=True)


class PotentialSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    family = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Potential
        fields = ["id", "client", "family", "annual_potential", "source", "updated_at"]


class AlertSerializer(serializers.ModelSerializer):
    client = ClientSerializer(
        read_only=True, allow_null=True, help_text="Null for a pipeline-level alert."
    )
    recipient = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Whom an alert about no client is addressed to (a manager); null otherwise.",
    )
    family = FamilySerializer(read_only=True, allow_null=True)
    kind_label = serializers.SerializerMethodField(
        help_text="The kind's label in the request's language (its code for a retired kind)."
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "client",
            "recipient",
            "family",
            "kind",
            "kind_label",
            "status",
            "priority",
            "score",
            "p_value",
            "as_of",
            "snoozed_until",
            "created_at",
            "updated_at",
        ]

    def get_kind_label(self, alert) -> str:
        # The label the pages show, translated to the request's language by LocaleMiddleware.
        return str(kinds.label(alert.kind))


class RecommendationSerializer(serializers.Serializer):
    action = serializers.CharField(source="action.code")
    action_name = serializers.CharField(source="action.name")
    propensity = serializers.FloatField()
    confidence = serializers.FloatField(allow_null=True)


class AlertDetailSerializer(AlertSerializer):
    narrative = serializers.SerializerMethodField()
    recommendation = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = AlertSerializer.Meta.fields + ["evidence", "narrative", "recommendation"]

    def get_narrative(self, alert) -> str:
        language = getattr(self.context.get("request"), "LANGUAGE_CODE", None) or "es"
        return web_kinds.narrative(alert, language) or web_kinds.label(alert.kind)

    @extend_schema_field(RecommendationSerializer(allow_null=True))
    def get_recommendation(self, alert):
        recommendation = web_selectors.recommendation_for(alert)
        if recommendation is None:
            return None
        return RecommendationSerializer(recommendation).data


class FeedbackSerializer(serializers.ModelSerializer):
    action = serializers.SlugRelatedField(slug_field="code", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    alert_status = serializers.CharField(source="alert.status", read_only=True)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "alert",
            "user",
            "verdict",
            "action",
            "reason",
            "comment",
            "snooze_until",
            "idempotency_key",
            "created_at",
            "alert_status",
        ]


@extend_schema_field(OpenApiTypes.STR)
class ActionField(serializers.SlugRelatedField):
    """An active recommender action, by code."""

    def get_queryset(self):
        return Action.objects.filter(active=True)


class AnswerSerializer(serializers.Serializer):
    """A rep's answer to an alert."""

    verdict = serializers.ChoiceField(choices=Feedback.Verdict.choices)
    action = ActionField(
        slug_field="code",
        required=False,
        allow_null=True,
        help_text="Action code; required when the verdict is `act`.",
    )
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    snooze_until = serializers.DateField(
        required=False, allow_null=True, help_text="Required when the verdict is `snooze`."
    )
    idempotency_key = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="Send the same key again and the answer is recorded once.",
    )


class ScoringRunSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "as_of",
            "status",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "shards_total",
            "shards_done",
            "pairs",
            "alerts_created",
            "alerts_updated",
            "alerts_expired",
            "timings",
            "error",
        ]
        read_only_fields = fields


class ScoringRunStartSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Score the weeks up to this date (2000-01-01 to today); default last Sunday.",
    )

    def validate_as_of(self, value):
        if value is not None and not (EARLIEST_AS_OF <= value <= timezone.localdate()):
            raise serializers.ValidationError(
                f"Choose a date from {EARLIEST_AS_OF.isoformat()} to today."
            )
        return value


class TwinStateSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    family = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TwinState
        fields = [
            "id",
            "client",
            "family",
            "kind",
            "as_of",
            "scoring_run",
            "mature",
            "expected_next",
            "band_low",
            "band_high",
            "p_active",
            "forecast_units",
            "forecast_weeks",
            "params",
        ]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
