"""Potential sheets: annual purchase potential per client and family.

A row names its family by code, by product category, or by name, tried in that order. The
distributor's export states potential per family *name* and product *category*
(``Anestesia``, ``Categoria C1``) while its products carry category and family codes
(``C1``, ``Familia C1``): the category is the join key. When a category covers several
families, the row's potential is split between them by the client's share of that category's
sales, or without such sales by the whole base's share (equally when nobody bought any), and the
share is stored as ``Potential.estimated_share`` so the client page can say the split is
estimated. Families known only by their code are named after the potential sheet's family.
Rows of one client, family and source add up; zero potentials are stored like any other.
"""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from ..bulkload import batched
from ..models import Client, OrderLine, Potential, Product, ProductFamily
from .reference import _clean_rows, _upsert, create_clients, note_created_clients
from .values import CENT, FieldError, collect, lookup, parse_decimal, text

SHARE = Decimal("0.0001")
#: Potential.annual_potential holds 14 digits, 2 after the decimal point.
LIMIT = Decimal(10) ** 12
_CATEGORY_PREFIXES = ("categoria", "category", "cat")


def category_key(name):
    """``'Categoria C1'`` and ``'C1'`` -> ``'c1'``: no accents, case, spaces or the word
    "categoria" in front."""
    name = unicodedata.normalize("NFKD", name or "").casefold()
    key = "".join(c for c in name if c.isalnum())
    for prefix in _CATEGORY_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return key


class Families:
    """Finds the families a potential row means: by code, then category, then name."""

    def __init__(self):
        self.by_code, self.by_name, self.by_category = {}, {}, {}
        self.objects = {}
        for family in ProductFamily.objects.all():
            self.objects[family.pk] = family
            self.by_code[family.code] = family.pk
            self.by_name.setdefault(family.name.casefold(), family.pk)
        rows = Product.objects.exclude(attributes={}).values_list("family_id", "attributes")
        for family_id, attributes in rows:
            category = (attributes or {}).get("category")
            if category:
                self.by_category.setdefault(category_key(category), set()).add(family_id)
        self.renamed = {}

    def find(self, family, category):
        """``(family ids, through category)``; no ids when nothing matches."""
        if family in self.by_code:
            return [self.by_code[family]], False
        by_category = self.by_category.get(category_key(category)) if category else None
        if by_category:
            return sorted(by_category), True
        if family.casefold() in self.by_name:
            return [self.by_name[family.casefold()]], False
        return [], False

    def name_from(self, ids, label):
        """Name families known only by their code after the potential sheet's ``label``."""
        for pk in ids:
            family = self.objects[pk]
            if family.name in ("", family.code) and label and pk not in self.renamed:
                name = label if len(ids) == 1 else f"{label} ({family.code})"
                family.name = name[:120]
                family.save(update_fields=["name"])
                self.renamed[pk] = (family.code, family.name)


def sales_shares(family_sets, client_ids):
    """``(per client, base)``: each family's share of its category's positive net sales,
    ``{(client, frozenset of ids): {family: Decimal}}`` and ``{frozenset: {family: Decimal}}``."""
    wanted = set().union(*family_sets) if family_sets else set()
    by_pair = {}
    for batch in batched(wanted):
        rows = (
            OrderLine.objects.filter(family_id__in=batch)
            .order_by()
            .values("client_id", "family_id")
            .annotate(total=Sum("net_value"))
            .values_list("client_id", "family_id", "total")
        )
        for client, family, total in rows:
            by_pair[(client, family)] = max(total or Decimal(0), Decimal(0))
    base_totals = {}
    for (_, family), total in by_pair.items():
        base_totals[family] = base_totals.get(family, Decimal(0)) + total
    base = {ids: _shares(ids, base_totals) for ids in family_sets}
    own = {}
    for client in client_ids:
        for ids in family_sets:
            shares = _shares(ids, {f: by_pair.get((client, f), Decimal(0)) for f in ids})
            if shares is not None:
                own[(client, ids)] = shares
    return own, base


def _shares(ids, totals):
    total = sum(totals.get(f, Decimal(0)) for f in ids)
    if total <= 0:
        return None
    return {f: (totals.get(f, Decimal(0)) / total).quantize(SHARE) for f in ids}


def split(amount, ids, shares):
    """``[(family, part, share)]`` of ``amount`` by ``shares`` (equal when None); parts are
    rounded to cents and the last family takes the remainder so that they add up."""
    ordered = sorted(ids)
    if shares is None:
        equal = (Decimal(1) / len(ordered)).quantize(SHARE)
        shares = dict.fromkeys(ordered, equal)
    parts, given = [], Decimal(0)
    for i, family in enumerate(ordered):
        if i == len(ordered) - 1:
            part = amount - given
        else:
            part = (amount * shares[family]).quantize(CENT, ROUND_HALF_UP)
            given += part
        parts.append((family, part, shares[family]))
    return parts


def _clean(raw, comma):
    return collect(
        raw,
        {
            "client": lambda r: text(r, "client", required=True),
            "family": lambda r: text(r, "family", required=True),
            "category": lambda r: text(r, "category"),
            "annual_potential": lambda r: parse_decimal(
                r, "annual_potential", comma=comma, max_digits=14
            ),
            "source": lambda r: text(r, "source", max_length=64) or "erp",
        },
    )


def import_potentials(rows, result, columns, *, comma=False, create_missing_clients=False):
    """Potentials per (client, family, source); see the module's documentation."""
    families = Families()
    parsed = list(_clean_rows(rows, result, lambda raw: _clean(raw, comma)))
    codes = {v["client"] for _, _, v in parsed}
    clients = {code: row[0] for code, row in lookup(Client.objects, "code", codes, "id").items()}
    if create_missing_clients:
        created = create_clients(codes - set(clients))
        clients.update(created)
        note_created_clients(result, created)
    totals, splits, mapped, zeros = {}, [], {}, 0
    for number, raw, v in parsed:
        client = clients.get(v["client"])
        ids, through_category = families.find(v["family"], v["category"])
        errors = []
        if client is None:
            errors.append(
                FieldError("client", "unknown client", f"client {v['client']!r} does not exist.")
            )
        if not ids:
            also = f" and no product has category {v['category']!r}" if v["category"] else ""
            message = f"family {v['family']!r} does not exist{also}."
            errors.append(FieldError("family", "unknown family", message))
        if v["annual_potential"] < 0:
            errors.append(
                FieldError(
                    "annual_potential", "negative potential", "annual_potential is negative."
                )
            )
        if errors:
            result.reject(number, errors, raw)
            continue
        zeros += v["annual_potential"] == 0
        if through_category:
            families.name_from(ids, v["family"])
            mapped.setdefault(v["category"], ids)
        if len(ids) == 1:
            parts = [(ids[0], v["annual_potential"], None)]
            _add(totals, client, v["source"], parts, result, number, raw, keep_share=True)
        else:
            splits.append((client, frozenset(ids), v["annual_potential"], v["source"], number, raw))
    _split(splits, totals, result)
    _notes(result, families, mapped, zeros)
    existing = {}
    for batch in batched({k[0] for k in totals}):
        for p in Potential.objects.filter(client_id__in=batch):
            existing[(p.client_id, p.family_id, p.source)] = p
    _upsert(
        Potential,
        result,
        {k: {"annual_potential": v, "estimated_share": s} for k, (v, s) in totals.items()},
        existing,
        lambda k, v: Potential(client_id=k[0], family_id=k[1], source=k[2], **v),
    )


def _add(totals, client, source, parts, result, number, raw, keep_share=False):
    """Add ``parts`` ``[(family, euros, share)]`` of one row to ``totals``, or reject the row
    when a sum would not fit the database (12 digits before the decimal point)."""
    sums = [
        ((client, family, source), totals.get((client, family, source), [0])[0] + part, share)
        for family, part, share in parts
    ]
    if any(total >= LIMIT for _, total, _ in sums):
        biggest = max(total for _, total, _ in sums)
        message = (
            f"the potentials of this client and family add up to {biggest:,.2f}, more than "
            "999,999,999,999.99; row not added."
        )
        result.reject(number, [FieldError("annual_potential", "too large", message)], raw)
        return
    for key, total, share in sums:
        entry = totals.setdefault(key, [Decimal(0), None])
        entry[0] = total
        if not keep_share:
            entry[1] = share


def _split(splits, totals, result):
    if not splits:
        return
    own, base = sales_shares({s[1] for s in splits}, {s[0] for s in splits})
    how = {"own": 0, "base": 0, "equal": 0}
    for client, ids, amount, source, number, raw in splits:
        shares = own.get((client, ids))
        how["own" if shares else "base" if base[ids] else "equal"] += 1
        parts = split(amount, ids, shares or base[ids])
        _add(totals, client, source, parts, result, number, raw)
    result.note(
        f"{len(splits)} potentials of a category covering several families split between them "
        f"(estimated split): {how['own']} by the client's own sales of the category, "
        f"{how['base']} by the whole base's (the client bought none), {how['equal']} equally "
        "(nobody bought any)"
    )


def _notes(result, families, mapped, zeros):
    if mapped:
        names = {pk: family.code for pk, family in families.objects.items()}
        shown = "; ".join(
            f"{category} -> {', '.join(names[pk] for pk in ids)}"
            for category, ids in mapped.items()
        )
        result.note(f"potentials mapped to families through their product category: {shown}")
    if families.renamed:
        shown = ", ".join(f"{code} = {name!r}" for code, name in families.renamed.values())
        result.note(f"families known only by their code named from the potential sheet: {shown}")
    if zeros:
        result.note(
            f"{zeros} potentials of 0,00 stored as stated; they raise no uncaptured-potential alert"
        )
