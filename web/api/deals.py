"""REST endpoints of the deals engine: opportunities (with stage history and latest risk
score) and stages, read-only. A rep sees their own deals, a manager the team's, an admin all
(``deals.selectors``), as on the pipeline page; anything else is a 404."""

import django_filters as filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers

from deals import selectors
from deals.models import Opportunity, Outcome, Stage, StageChange

from .views import ReadOnlyApiViewSet, _read_only_docs, cursor_pagination


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "code", "name", "order", "is_late", "is_qualification", "outcome"]


class StageChangeSerializer(serializers.ModelSerializer):
    stage = serializers.SlugRelatedField(slug_field="code", read_only=True)
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = StageChange
        fields = ["stage", "date", "changed_by"]


class OpportunitySerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    family = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    stage = serializers.SlugRelatedField(slug_field="code", read_only=True)
    stage_changes = StageChangeSerializer(many=True, read_only=True)
    p_loss = serializers.SerializerMethodField(help_text="Latest estimated chance of loss.")
    drivers = serializers.SerializerMethodField(help_text="What pushes P(loss) up, structured.")

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "external_id",
            "name",
            "client",
            "owner",
            "family",
            "product",
            "amount",
            "lead_source",
            "region",
            "segment",
            "stage",
            "created_date",
            "expected_close_date",
            "closed_date",
            "outcome",
            "lost_reason",
            "stage_changes",
            "p_loss",
            "drivers",
        ]

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_p_loss(self, obj):
        score = getattr(obj, "score", None)
        return score.p_loss if score is not None else None

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_drivers(self, obj):
        score = getattr(obj, "score", None)
        return score.drivers if score is not None else []


class OpportunityFilter(filters.FilterSet):
    outcome = filters.ChoiceFilter(choices=Outcome.choices)
    stage = filters.CharFilter(field_name="stage__code", help_text="Stage code.")
    owner = filters.CharFilter(field_name="owner__username", help_text="Username of the rep.")
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    segment = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Opportunity
        fields = ["outcome", "stage", "owner", "client", "segment"]


@_read_only_docs("opportunities visible to you", OpportunitySerializer)
@extend_schema(tags=["opportunities"])
class OpportunityViewSet(ReadOnlyApiViewSet):
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    pagination_class = cursor_pagination("external_id")

    def get_queryset(self):
        history = StageChange.objects.select_related("stage", "changed_by").order_by("date")
        return (
            selectors.opportunities_visible_to(self.request.user)
            .select_related("client", "owner", "family", "product", "stage", "score")
            .prefetch_related(Prefetch("stage_changes", queryset=history))
        )


@_read_only_docs("pipeline stages", StageSerializer)
@extend_schema(tags=["stages"])
class StageViewSet(ReadOnlyApiViewSet):
    serializer_class = StageSerializer
    pagination_class = cursor_pagination("order", "code")
    queryset = Stage.objects.all()
