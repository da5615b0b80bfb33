"""Query filters of the API lists. Clients, families and reps are named by code / username."""

import django_filters as filters
from django.db.models import Q

from crm import kinds, selectors
from crm.models import Alert, Client, Order, Potential, Product, ProductFamily, User
from twins.models import ScoringRun, TwinState


class ClientFilter(filters.FilterSet):
    province = filters.CharFilter(lookup_expr="iexact")
    territory = filters.CharFilter(field_name="territory__code", help_text="Territory code.")
    rep = filters.CharFilter(field_name="rep__username", help_text="Username of the rep.")
    search = filters.CharFilter(method="filter_search", help_text="Part of the code or name.")

    class Meta:
        model = Client
        fields = ["province", "territory", "rep", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class FamilyFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=ProductFamily.Kind.choices)
    line = filters.CharFilter(field_name="line__code", help_text="Product line code.")

    class Meta:
        model = ProductFamily
        fields = ["kind", "line"]


class ProductFilter(filters.FilterSet):
    family = filters.CharFilter(field_name="family__code", help_text="Family code.")
    search = filters.CharFilter(method="filter_search", help_text="Part of the code or name.")

    class Meta:
        model = Product
        fields = ["family", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class OrderFilter(filters.FilterSet):
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    invoice = filters.CharFilter(field_name="invoice_number", help_text="Invoice number.")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Order
        fields = ["client", "invoice", "date_from", "date_to"]


class PotentialFilter(filters.FilterSet):
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    family = filters.CharFilter(field_name="family__code", help_text="Family code.")
    source = filters.CharFilter()

    class Meta:
        model = Potential
        fields = ["client", "family", "source"]


class AlertFilter(filters.FilterSet):
    """The filters of the rep's queue page, applied by ``selectors.queue_alerts``.

    The queue names a family and a rep by id; the API, like its other lists, by family code
    and username. An unknown code or username matches nothing.
    """

    kind = filters.ChoiceFilter(choices=kinds.CHOICES)
    family = filters.CharFilter(help_text="Family code.")
    province = filters.CharFilter()
    status = filters.ChoiceFilter(
        choices=[
            (selectors.TODO, "Open, or snoozed until today or earlier (the queue)"),
            *Alert.Status.choices,
            (selectors.ANY, "Any status"),
        ],
        help_text=f"Default `{selectors.TODO}`, as on the queue page; `{selectors.ANY}` for all.",
    )
    rep = filters.CharFilter(help_text="Username of the rep (for managers and admins).")
    search = filters.CharFilter(max_length=100, help_text="Part of the client's code or name.")

    class Meta:
        model = Alert
        fields = ["kind", "family", "province", "status", "rep", "search"]

    def filter_queryset(self, queryset):
        """Ignore ``queryset``: the queue selector applies visibility and filters together."""
        data = self.form.cleaned_data
        family = _id_of(ProductFamily.objects, code=data.get("family"))
        rep = _id_of(User.objects, username=data.get("rep"))
        if family == 0 or rep == 0:
            return Alert.objects.none()
        wanted = selectors.QueueFilters(
            kind=data.get("kind") or "",
            family=family,
            province=data.get("province") or "",
            status=data.get("status") or selectors.TODO,
            q=(data.get("search") or "").strip(),
            rep=rep,
        )
        return selectors.queue_alerts(self.request.user, wanted).select_related(
            "client__territory", "client__rep", "family__line"
        )


def _id_of(manager, **lookup):
    """The id of the object ``lookup`` names; ``None`` when the value is blank, 0 if unknown."""
    ((field, value),) = lookup.items()
    if not value:
        return None
    return manager.filter(**{field: value}).values_list("pk", flat=True).first() or 0


class ScoringRunFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ScoringRun.Status.choices)

    class Meta:
        model = ScoringRun
        fields = ["status"]


class TwinStateFilter(filters.FilterSet):
    client = filters.CharFilter(field_name="client__code", help_text="Client code.")
    family = filters.CharFilter(field_name="family__code", help_text="Family code.")
    mature = filters.BooleanFilter()

    class Meta:
        model = TwinState
        fields = ["client", "family", "mature"]
