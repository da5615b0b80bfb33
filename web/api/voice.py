"""REST endpoints of the voice engine: survey answers with their analysis.

``GET /api/v1/surveys/`` lists the answers of the clients visible to you (a rep's own, a
manager's team's, an admin's all) with their sentiment, complaint themes and NPS category;
``POST /api/v1/surveys/`` (CRM admins) stores ``{"rows": [...]}`` through the same importer
as ``manage.py import_surveys``: bad rows come back with their row number and field, good
rows are kept, a re-sent row changes nothing (keyed by ``response_id``)."""

import django_filters as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from crm import selectors
from voice.importing import import_survey_rows
from voice.models import SurveyResponse

from .views import (
    DETAIL_ERRORS,
    FORBIDDEN,
    LIST_ERRORS,
    THROTTLED,
    UNAUTHENTICATED,
    IsCrmAdmin,
    ReadOnlyApiViewSet,
    cursor_pagination,
)

MAX_SURVEY_ROWS = 5000


class SurveySerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="code", read_only=True)
    language = serializers.CharField(source="analysis.language", read_only=True, default="")
    polarity = serializers.FloatField(source="analysis.polarity", read_only=True, default=None)
    sentiment = serializers.CharField(source="analysis.label", read_only=True, default="")
    is_complaint = serializers.BooleanField(
        source="analysis.is_complaint", read_only=True, default=False
    )
    themes = serializers.ListField(
        source="analysis.themes", child=serializers.CharField(), read_only=True, default=list
    )
    nps_category = serializers.CharField(source="analysis.nps_category", read_only=True, default="")
    nps_predicted = serializers.BooleanField(
        source="analysis.nps_predicted", read_only=True, default=False
    )

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "response_id",
            "client",
            "date",
            "nps",
            "overall",
            "would_recommend",
            "comment",
            "channel",
            "language",
            "polarity",
            "sentiment",
            "is_complaint",
            "themes",
            "nps_category",
            "nps_predicted",
        ]


class SurveyUploadSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.DictField(), max_length=MAX_SURVEY_ROWS)


class SurveyImportResultSerializer(serializers.Serializer):
    read = serializers.IntegerField()
    imported = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows already stored unchanged.")
    rejected = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())


class SurveyFilter(filters.FilterSet):
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    since = filters.DateFilter(field_name="date", lookup_expr="gte")
    until = filters.DateFilter(field_name="date", lookup_expr="lte")
    complaint = filters.BooleanFilter(field_name="analysis__is_complaint")

    class Meta:
        model = SurveyResponse
        fields = ["client", "since", "until", "complaint", "channel"]


@extend_schema_view(
    list=extend_schema(
        summary="Survey answers of clients visible to you",
        responses={200: SurveySerializer, **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One survey answer", responses={200: SurveySerializer, **DETAIL_ERRORS}
    ),
    create=extend_schema(
        summary="Store survey answers (CRM admins)",
        request=SurveyUploadSerializer,
        responses={
            200: SurveyImportResultSerializer,
            400: OpenApiResponse(
                SurveyImportResultSerializer, description="Some rows were rejected."
            ),
            **UNAUTHENTICATED,
            **FORBIDDEN,
            **THROTTLED,
        },
    ),
)
@extend_schema(tags=["surveys"])
class SurveyViewSet(mixins.CreateModelMixin, ReadOnlyApiViewSet):
    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    pagination_class = cursor_pagination("-date", "-id")

    def get_queryset(self):
        visible = selectors.clients_visible_to(self.request.user).values("pk")
        return SurveyResponse.objects.filter(client__in=visible).select_related(
            "client", "analysis"
        )

    def get_permissions(self):
        if self.action == "create":
            return [IsCrmAdmin()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        upload = SurveyUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        rows = list(enumerate(upload.validated_data["rows"], start=1))
        result = import_survey_rows(rows)
        report = SurveyImportResultSerializer(result).data
        code = status.HTTP_400_BAD_REQUEST if result.rejected else status.HTTP_200_OK
        return Response(report, status=code)
