"""REST endpoints under /api/v1/. Thin: parse, check permissions, call a service, serialise.

Object visibility is ``crm.selectors``'s: a rep sees their clients, a manager the team's, an
admin everyone's; anything else is a 404, as on the pages.
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from crm import selectors, services
from crm.models import Order, Potential, Product, ProductFamily
from crm.services import AnswerConflict
from twins import runs
from twins.models import ScoringRun, TwinState

from . import filters, orders
from . import serializers as s
from .parsers import SafeJSONParser

_ERROR = s.ErrorSerializer
_FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Invalid input: an object of field name -> messages."
)
UNAUTHENTICATED = {401: OpenApiResponse(_ERROR, description="No valid token or session.")}
NOT_FOUND = {404: OpenApiResponse(_ERROR, description="No such object visible to you.")}
BAD_FILTER = {400: _FIELD_ERRORS}
FORBIDDEN = {403: OpenApiResponse(_ERROR, description="Only CRM admins may do this.")}
FORBIDDEN_READ = {403: OpenApiResponse(_ERROR, description="Reps do not follow scoring runs.")}
THROTTLED = {429: OpenApiResponse(_ERROR, description="Too many writes; retry later.")}
LIST_ERRORS = {**BAD_FILTER, **UNAUTHENTICATED}
DETAIL_ERRORS = {**UNAUTHENTICATED, **NOT_FOUND}


class IsCrmAdmin(BasePermission):
    """CRM admins (role admin) and superusers."""

    message = "Only CRM admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_crm_admin)


class IsManagerOrAdmin(BasePermission):
    """Sales managers, CRM admins and superusers (who follow scoring runs on the pages too)."""

    message = "Only managers and admins follow scoring runs."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_manager or user.is_crm_admin))


class CursorPage(CursorPagination):
    """Cursor pagination; a cursor that cannot be decoded is a 400 naming ``cursor``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            message = self.invalid_cursor_message
            raise ValidationError({self.cursor_query_param: [message]}) from None


def cursor_pagination(*ordering):
    """A cursor pagination class over ``ordering`` (the last field unique)."""
    return type("CursorPage", (CursorPage,), {"ordering": ordering})


class ApiViewSet(viewsets.GenericViewSet):
    """Authenticated reads; writes throttled under the 'write' scope."""

    permission_classes = [IsAuthenticated]
    parser_classes = [SafeJSONParser]
    throttle_scope = "write"

    def get_throttles(self):
        if self.request.method in SAFE_METHODS:
            return []
        return [ScopedRateThrottle()]


class ReadOnlyApiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pass


def _read_only_docs(name, serializer):
    return extend_schema_view(
        list=extend_schema(summary=f"List {name}", responses={200: serializer, **LIST_ERRORS}),
        retrieve=extend_schema(
            summary=f"One of the {name}", responses={200: serializer, **DETAIL_ERRORS}
        ),
    )


@_read_only_docs("clients visible to you", s.ClientSerializer)
@extend_schema(tags=["clients"])
class ClientViewSet(ReadOnlyApiViewSet):
    serializer_class = s.ClientSerializer
    filterset_class = filters.ClientFilter
    pagination_class = cursor_pagination("code")

    def get_queryset(self):
        return selectors.clients_visible_to(self.request.user).select_related("territory", "rep")


@_read_only_docs("product families", s.FamilySerializer)
@extend_schema(tags=["families"])
class FamilyViewSet(ReadOnlyApiViewSet):
    serializer_class = s.FamilySerializer
    filterset_class = filters.FamilyFilter
    pagination_class = cursor_pagination("code")
    queryset = ProductFamily.objects.select_related("line")


@_read_only_docs("products", s.ProductSerializer)
@extend_schema(tags=["products"])
class ProductViewSet(ReadOnlyApiViewSet):
    serializer_class = s.ProductSerializer
    filterset_class = filters.ProductFilter
    pagination_class = cursor_pagination("code")
    queryset = Product.objects.select_related("family")


@_read_only_docs("orders of clients visible to you, with their lines", s.OrderSerializer)
@extend_schema_view(
    create=extend_schema(
        summary="Upload invoice lines in bulk",
        description=(
            "Stores new invoice lines; a line already stored (same invoice and line number) is "
            "skipped, so an upload can be repeated safely. Bad rows are reported by index in "
            "`rows` (from 1) and field. By default the good rows are stored (200). With "
            "`?atomic=true` nothing is stored if any row is bad (400 with the same report). "
            "Values that are not text or a number reject the whole upload (400); values too "
            "long or too large for their column are row errors. Identical uploads sent in "
            "parallel store each line once (409 if they keep colliding). CRM admins only."
        ),
        parameters=[
            OpenApiParameter(
                "atomic",
                OpenApiTypes.BOOL,
                description="Store nothing if any row is bad.",
                default=False,
            )
        ],
        request=s.OrderUploadDocSerializer,
        responses={
            200: s.ImportResultSerializer,
            400: OpenApiResponse(
                s.ImportResultSerializer,
                description=(
                    "Atomic upload with bad rows (the import report, nothing stored), or a body "
                    'that is not `{"rows": [...]}` (field name -> messages).'
                ),
            ),
            **UNAUTHENTICATED,
            **FORBIDDEN,
            409: OpenApiResponse(_ERROR, description="A parallel upload kept colliding; resend."),
            **THROTTLED,
        },
    )
)
@extend_schema(tags=["orders"])
class OrderViewSet(mixins.CreateModelMixin, ReadOnlyApiViewSet):
    serializer_class = s.OrderSerializer
    filterset_class = filters.OrderFilter
    pagination_class = cursor_pagination("-date", "-id")

    def get_queryset(self):
        visible = selectors.clients_visible_to(self.request.user).values("pk")
        return (
            Order.objects.filter(client__in=visible)
            .select_related("client")
            .prefetch_related("lines__product", "lines__family")
        )

    def get_permissions(self):
        if self.action == "create":
            return [IsCrmAdmin()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        from crm.importing import import_order_rows

        atomic = _query_bool(request, "atomic")
        upload = s.OrderUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        rows, malformed = s.order_rows_as_text(upload.validated_data["rows"])
        if malformed:
            read = len(upload.validated_data["rows"])
            report = {"read": read, "imported": 0, "skipped": 0, "errors": malformed}
            return Response(report, status=status.HTTP_400_BAD_REQUEST)
        try:
            result, failed = orders.store(rows, atomic=atomic, importer=import_order_rows)
        except orders.UploadCollision:
            detail = _("Another upload is storing the same invoices right now; send this again.")
            return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
        report = s.ImportResultSerializer(result).data
        return Response(
            report, status=status.HTTP_400_BAD_REQUEST if failed else status.HTTP_200_OK
        )


def _query_bool(request, name):
    value = request.query_params.get(name, "false").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValidationError({name: ["Expected true or false."]})


@_read_only_docs("annual potentials of clients visible to you", s.PotentialSerializer)
@extend_schema(tags=["potentials"])
class PotentialViewSet(ReadOnlyApiViewSet):
    serializer_class = s.PotentialSerializer
    filterset_class = filters.PotentialFilter
    pagination_class = cursor_pagination("id")

    def get_queryset(self):
        visible = selectors.clients_visible_to(self.request.user).values("pk")
        return Potential.objects.filter(client__in=visible).select_related("client", "family")


@extend_schema_view(
    list=extend_schema(
        summary="Alerts on clients visible to you, highest euros at stake first",
        responses={200: s.AlertSerializer, **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One alert with its evidence, narrative and recommended action",
        description="The narrative is written in the language of `Accept-Language` (es, en).",
        parameters=[
            OpenApiParameter(
                "Accept-Language",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                enum=["es", "en"],
                description="Language of the narrative; default es.",
            )
        ],
        responses={200: s.AlertDetailSerializer, **DETAIL_ERRORS},
    ),
    feedback=extend_schema(
        summary="Answer an alert",
        description=(
            "`act` needs an `action`, `snooze` a future `snooze_until`. One alert, one "
            "decision: an alert already in `acting` refuses another `act`, and a closed alert "
            "refuses every answer (409, the reason under `alert`); a snooze or a false alarm "
            "changes the decision. A repeated `idempotency_key` returns the answer already "
            "recorded, with the same 201 and the header `Idempotent-Replayed: true`, instead "
            "of a second one."
        ),
        request=s.AnswerSerializer,
        responses={
            201: s.FeedbackSerializer,
            400: _FIELD_ERRORS,
            **DETAIL_ERRORS,
            403: OpenApiResponse(_ERROR, description="Session request without a CSRF token."),
            409: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The alert is closed or already has this decision (`alert`), or "
                "the idempotency key was used for another answer (`detail`).",
            ),
            **THROTTLED,
        },
    ),
)
@extend_schema(tags=["alerts"])
class AlertViewSet(ReadOnlyApiViewSet):
    filterset_class = filters.AlertFilter
    pagination_class = cursor_pagination("-priority", "-created_at", "pk")  # the queue's order

    def get_queryset(self):
        return selectors.alerts_visible_to(self.request.user).select_related(
            "client__territory", "client__rep", "family__line"
        )

    def filter_queryset(self, queryset):
        """The queue's filters narrow the list only; any visible alert can be opened."""
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.AlertDetailSerializer
        if self.action == "feedback":
            return s.AnswerSerializer
        return s.AlertSerializer

    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        alert = self.get_object()
        answer = s.AnswerSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        data = answer.validated_data
        key = data.get("idempotency_key") or None
        try:
            feedback = services.answer_alert(
                alert,
                request.user,
                data["verdict"],
                action=data.get("action"),
                reason=data["reason"],
                comment=data["comment"],
                snooze_until=data.get("snooze_until"),
                idempotency_key=key,
            )
        except AnswerConflict as exc:
            return Response(_field_errors(exc), status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise ValidationError(_field_errors(exc)) from exc
        if feedback.alert_id != alert.pk or feedback.user_id != request.user.pk:
            return Response(
                {"detail": _("This idempotency_key was already used for another answer.")},
                status=status.HTTP_409_CONFLICT,
            )
        # A replay answers as the original did (201), marked by a header.
        response = Response(s.FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)
        if getattr(feedback, "replayed", False):
            response["Idempotent-Replayed"] = "true"
        return response


def _field_errors(exc):
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


@extend_schema_view(
    list=extend_schema(
        summary="Scoring runs, newest first (managers and admins)",
        responses={200: s.ScoringRunSerializer, **LIST_ERRORS, **FORBIDDEN_READ},
    ),
    retrieve=extend_schema(
        summary="One scoring run: status, progress, counts, timings (managers and admins)",
        responses={200: s.ScoringRunSerializer, **DETAIL_ERRORS, **FORBIDDEN_READ},
    ),
    create=extend_schema(
        summary="Start a scoring run (CRM admins)",
        description=(
            "Starts a run as of `as_of` (default: the end of last week) and returns it (202); "
            "follow it with GET /api/v1/scoring-runs/{id}/. When another run is still active "
            "the new one is stopped at once and returned with 409 and the reason in `error`. "
            "When the task queue (Redis) cannot be reached the run is saved and returned with "
            "202 and a `notice`; the resume sweep queues it once the queue is back."
        ),
        request=s.ScoringRunStartSerializer,
        responses={
            202: s.ScoringRunSerializer,
            400: _FIELD_ERRORS,
            **UNAUTHENTICATED,
            **FORBIDDEN,
            409: OpenApiResponse(s.ScoringRunSerializer, description="Another run is active."),
            **THROTTLED,
        },
    ),
)
@extend_schema(tags=["scoring runs"])
class ScoringRunViewSet(mixins.CreateModelMixin, ReadOnlyApiViewSet):
    serializer_class = s.ScoringRunSerializer
    filterset_class = filters.ScoringRunFilter
    pagination_class = cursor_pagination("-created_at", "-id")
    queryset = ScoringRun.objects.all()

    def get_permissions(self):
        if self.action == "create":
            return [IsCrmAdmin()]
        return [IsManagerOrAdmin()]

    def create(self, request, *args, **kwargs):
        start = s.ScoringRunStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        run = runs.launch(start.validated_data.get("as_of"))
        if not run.started:
            return Response(s.ScoringRunSerializer(run).data, status=status.HTTP_409_CONFLICT)
        if getattr(run, "queued", True) is False:
            data = s.ScoringRunSerializer(run).data
            data["notice"] = _(
                "The run is saved but the task queue cannot be reached now; it will be queued "
                "automatically within %(minutes)d minutes of the queue coming back."
            ) % {"minutes": max(1, round(settings.SCORING_RESUME_AFTER / 60)) + 5}
            return Response(data, status=status.HTTP_202_ACCEPTED)
        return Response(s.ScoringRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@_read_only_docs(
    "twins (fitted state per client and family) of clients visible to you", s.TwinStateSerializer
)
@extend_schema(tags=["twins"])
class TwinStateViewSet(ReadOnlyApiViewSet):
    serializer_class = s.TwinStateSerializer
    filterset_class = filters.TwinStateFilter
    pagination_class = cursor_pagination("id")

    def get_queryset(self):
        visible = selectors.clients_visible_to(self.request.user).values("pk")
        return TwinState.objects.filter(client__in=visible).select_related("client", "family")
