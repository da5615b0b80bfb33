"""REST endpoints of the insights engine, read-only: each visible client's current segment
(``/api/v1/client-segments/``), churn-risk score and tier (``/api/v1/churn-risk/``) and
next-quarter value forecast (``/api/v1/value-forecasts/``). A rep sees their own clients, a
manager the team's, an admin all (``crm.selectors``). The territory
and province ranking (``/api/v1/territory-scores/``) is for managers (their team's units) and
admins (every unit), like the Insights page."""

import django_filters as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from crm import selectors
from insights import selectors as insights_selectors
from insights import territory as territories
from insights.models import (
    ChurnScore,
    ChurnTier,
    Segment,
    SegmentMembership,
    TerritoryFigure,
    ValueForecast,
)

from .views import (
    _ERROR,
    LIST_ERRORS,
    ApiViewSet,
    IsManagerOrAdmin,
    ReadOnlyApiViewSet,
    _read_only_docs,
    cursor_pagination,
)


class SegmentMembershipSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    segment = serializers.SlugRelatedField(slug_field="code", read_only=True)
    segment_label = serializers.SerializerMethodField()
    playbook = serializers.SerializerMethodField()

    class Meta:
        model = SegmentMembership
        fields = ["id", "client", "segment", "segment_label", "playbook", "as_of"]

    def get_segment_label(self, obj) -> str:
        return str(obj.segment.label)

    def get_playbook(self, obj) -> str:
        return obj.segment.playbook


class ChurnScoreSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    action = serializers.SerializerMethodField(help_text="The tier's action (admin-editable).")

    class Meta:
        model = ChurnScore
        fields = [
            "id",
            "client",
            "as_of",
            "p_churn",
            "tier",
            "action",
            "value_12m",
            "at_stake",
            "reasons",
            "merged_into",
        ]

    def get_action(self, obj) -> str:
        tiers = self.context.setdefault(
            "tiers", {t.code: t.action for t in ChurnTier.objects.all()}
        )
        return tiers.get(obj.tier, "")


class MembershipFilter(filters.FilterSet):
    segment = filters.ChoiceFilter(
        field_name="segment__code",
        choices=lambda: [(c, c) for c in Segment.objects.values_list("code", flat=True)],
    )
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    history = filters.BooleanFilter(
        method="with_history", help_text="true: every dated membership, not only the latest."
    )

    class Meta:
        model = SegmentMembership
        fields = ["segment", "client"]

    def with_history(self, queryset, name, value):
        return queryset


class ChurnFilter(filters.FilterSet):
    tier = filters.ChoiceFilter(choices=ChurnTier.Code.choices)
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")

    class Meta:
        model = ChurnScore
        fields = ["tier", "client"]


@_read_only_docs("client segment memberships visible to you", SegmentMembershipSerializer)
@extend_schema(tags=["insights"])
class SegmentMembershipViewSet(ReadOnlyApiViewSet):
    serializer_class = SegmentMembershipSerializer
    filterset_class = MembershipFilter
    pagination_class = cursor_pagination("-as_of", "id")

    def get_queryset(self):
        qs = SegmentMembership.objects.filter(
            client__in=selectors.clients_visible_to(self.request.user)
        ).select_related("client", "segment")
        if self.request.query_params.get("history", "").lower() != "true":
            latest = SegmentMembership.objects.order_by("-as_of").values_list("as_of", flat=True)
            qs = qs.filter(as_of=latest[:1])
        return qs


@_read_only_docs("churn-risk scores of the clients visible to you", ChurnScoreSerializer)
@extend_schema(tags=["insights"])
class ChurnScoreViewSet(ReadOnlyApiViewSet):
    serializer_class = ChurnScoreSerializer
    filterset_class = ChurnFilter
    pagination_class = cursor_pagination("-p_churn", "id")

    def get_queryset(self):
        return ChurnScore.objects.filter(
            client__in=selectors.clients_visible_to(self.request.user)
        ).select_related("client")


class ValueForecastSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ValueForecast
        fields = [
            "id",
            "client",
            "as_of",
            "method",
            "expected",
            "low",
            "high",
            "last_quarter",
            "room_to_grow",
        ]


class ValueForecastFilter(filters.FilterSet):
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    method = filters.ChoiceFilter(choices=ValueForecast.Method.choices)
    room_to_grow = filters.BooleanFilter(
        method="with_room", help_text="true: only clients with room to grow (> 0)."
    )

    class Meta:
        model = ValueForecast
        fields = ["client", "method"]

    def with_room(self, queryset, name, value):
        return queryset.filter(room_to_grow__gt=0) if value else queryset.filter(room_to_grow=0)


@_read_only_docs(
    "next-quarter (13-week) value forecasts, with their 80 % interval, of the clients visible "
    "to you (the newest refit's)",
    ValueForecastSerializer,
)
@extend_schema(tags=["insights"])
class ValueForecastViewSet(ReadOnlyApiViewSet):
    serializer_class = ValueForecastSerializer
    filterset_class = ValueForecastFilter
    pagination_class = cursor_pagination("-expected", "id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, built without a request
            return ValueForecast.objects.none()
        return insights_selectors.latest_forecasts(
            selectors.clients_visible_to(self.request.user)
        ).select_related("client")


class TerritoryQuerySerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=TerritoryFigure.Level.choices,
        default=TerritoryFigure.Level.TERRITORY,
        help_text="territory (default) or province.",
    )


class TerritoryRowSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="Territory code or province name.")
    name = serializers.CharField()
    rank = serializers.IntegerField(help_text="1 = best, among every unit of the level.")
    score = serializers.FloatField(help_text="Weighted score, 0-100.")
    tier = serializers.ChoiceField(choices=["premium", "standard", "underperforming"])
    revenue_score = serializers.FloatField()
    clients_score = serializers.FloatField()
    growth_score = serializers.FloatField(allow_null=True, help_text="Null: no revenue last year.")
    potential_score = serializers.FloatField(allow_null=True, help_text="Null: no potential.")
    growth_rate = serializers.FloatField(allow_null=True)
    share_captured = serializers.FloatField(allow_null=True)
    revenue = serializers.FloatField(help_text="Net euros, 12 months to as_of.")
    revenue_prev = serializers.FloatField(help_text="Net euros, the 12 months before.")
    active_clients = serializers.IntegerField()
    potential = serializers.FloatField(help_text="Stated annual potential, euros.")
    trend = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="Score at each of dates."
    )


class TerritoryRankingSerializer(serializers.Serializer):
    level = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    dates = serializers.ListField(child=serializers.DateField())
    weights = serializers.DictField(
        child=serializers.FloatField(), help_text="Share of each component (sums to 1)."
    )
    premium_above = serializers.FloatField()
    underperforming_below = serializers.FloatField()
    results = TerritoryRowSerializer(many=True)


@extend_schema(tags=["insights"])
class TerritoryScoreViewSet(ApiViewSet):
    permission_classes = [IsManagerOrAdmin]
    queryset = TerritoryFigure.objects.none()  # for the schema; list() computes the ranking

    @extend_schema(
        summary="Territory or province ranking (managers: their team's units; admins: all)",
        parameters=[TerritoryQuerySerializer],
        responses={
            200: TerritoryRankingSerializer,
            **LIST_ERRORS,
            403: OpenApiResponse(_ERROR, description="Reps do not see the territory ranking."),
        },
    )
    def list(self, request):
        query = TerritoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        level = query.validated_data["level"]
        data = territories.ranking(level, selectors.clients_visible_to(request.user))
        weights = data["weights"]
        body = {
            "level": level,
            "as_of": data["as_of"],
            "dates": data["dates"],
            "weights": weights.shares(),
            "premium_above": weights.premium_above,
            "underperforming_below": weights.underperforming_below,
            "results": data["rows"],
        }
        return Response(TerritoryRankingSerializer(body).data)
