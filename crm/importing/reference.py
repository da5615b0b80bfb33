"""Reference sheets: campaigns, clients, products and potentials.

They are small and read whole; each row is validated, bad rows are rejected with their line,
field and reason, and the good ones are created or updated by their natural key.
"""

from decimal import Decimal

from ..bulkload import batched
from ..models import Campaign, Client, Potential, Product, ProductFamily, ProductLine, User
from .values import FieldError, collect, lookup, parse_date, parse_decimal, text


def _upsert(model, result, wanted, existing, create):
    """Create missing objects and update changed fields; ``wanted`` maps a natural key to the
    field values a row asks for, ``existing`` maps keys to stored objects."""
    new, changed, fields = [], [], set()
    for key, values in wanted.items():
        obj = existing.get(key)
        if obj is None:
            new.append(create(key, values))
            continue
        diff = {name: v for name, v in values.items() if getattr(obj, name) != v}
        if diff:
            for name, v in diff.items():
                setattr(obj, name, v)
            changed.append(obj)
            fields.update(diff)
        else:
            result.skipped += 1
    model.objects.bulk_create(new, batch_size=1000)
    if changed:
        model.objects.bulk_update(changed, sorted(fields), batch_size=1000)
    result.imported += len(new)
    result.updated += len(changed)


def _by_code(model, codes):
    return {
        obj.code: obj for batch in batched(codes) for obj in model.objects.filter(code__in=batch)
    }


def _clean_rows(rows, result, clean):
    """Yield (number, raw, values) of the rows ``clean`` accepts; reject the others."""
    for number, raw in rows:
        result.read += 1
        values, errors = clean(raw)
        if errors:
            result.reject(number, errors, raw)
        else:
            yield number, raw, values


def import_campaigns(rows, result, columns):
    """Campaigns by code: ``code``, ``start``, ``end`` and, when the sheet has it, ``name``."""

    def clean(raw):
        values, errors = collect(
            raw,
            {
                "code": lambda r: text(r, "code", required=True, max_length=64),
                "start": lambda r: parse_date(r, "start"),
                "end": lambda r: parse_date(r, "end"),
            },
        )
        if "name" in columns:
            values["name"] = raw.get("name", "").strip()[:200]
        if not errors and values["end"] < values["start"]:
            errors.append(
                FieldError("end", "end before start", f"ends before it starts ({values['start']}).")
            )
        return values, errors

    wanted = {v.pop("code"): v for _, _, v in _clean_rows(rows, result, clean)}
    _upsert(
        Campaign,
        result,
        wanted,
        _by_code(Campaign, wanted),
        lambda code, v: Campaign(code=code, **v),
    )


def import_clients(rows, result, columns):
    """Clients by code; only the columns the sheet has are written. ``rep`` is a username."""
    reps = {}

    def rep(raw):
        username = text(raw, "rep")
        if not username:
            return None
        if username not in reps:
            reps[username] = (
                User.objects.filter(username=username).values_list("id", flat=True).first()
            )
        if reps[username] is None:
            raise FieldError("rep", "unknown rep", f"{username!r} is not a user.")
        return reps[username]

    parsers = {"code": lambda r: text(r, "code", required=True, max_length=64)}
    for key, length in (("name", 200), ("postcode", 16), ("province", 64)):
        if key in columns:
            parsers[key] = lambda r, key=key, length=length: text(r, key, max_length=length)
    if "rep" in columns:
        parsers["rep_id"] = rep
    wanted = {
        v.pop("code"): v for _, _, v in _clean_rows(rows, result, lambda r: collect(r, parsers))
    }
    _upsert(
        Client, result, wanted, _by_code(Client, wanted), lambda code, v: Client(code=code, **v)
    )


def import_products(rows, result, columns, *, comma=False, technical=()):
    """Products, creating their families and lines; families in ``technical`` become
    technical, other new ones default to the row's ``family_kind`` or commodity."""
    kinds = ProductFamily.Kind.values

    def clean(raw):
        parsers = {
            "code": lambda r: text(r, "code", required=True, max_length=64),
            "family": lambda r: text(r, "family", required=True, max_length=64),
            "line": lambda r: text(r, "line", max_length=64),
            "name": lambda r: text(r, "name", max_length=200),
            "family_name": lambda r: text(r, "family_name", max_length=120),
            "family_kind": lambda r: text(r, "family_kind").lower(),
            "category": lambda r: text(r, "category"),
        }
        if "list_price" in columns:
            parsers["list_price"] = lambda r: parse_decimal(
                r, "list_price", comma=comma, required=False
            )
        if "launch_date" in columns:
            parsers["launch_date"] = lambda r: parse_date(r, "launch_date", required=False)
        values, errors = collect(raw, parsers)
        if values.get("family_kind") and values["family_kind"] not in kinds:
            errors.append(
                FieldError("family_kind", "invalid kind", f"must be one of {', '.join(kinds)}.")
            )
        return values, errors

    accepted = [values for _, _, values in _clean_rows(rows, result, clean)]
    lines = {obj.code: obj for obj in ProductLine.objects.all()}
    for code in {v["line"] for v in accepted if v["line"]} - set(lines):
        lines[code] = ProductLine.objects.create(code=code, name=code)
    families = {obj.code: obj for obj in ProductFamily.objects.all()}
    for v in accepted:
        family = families.get(v["family"])
        if family is None:
            family = families[v["family"]] = ProductFamily.objects.create(
                code=v["family"],
                name=v["family_name"] or v["family"],
                kind=v["family_kind"] or ProductFamily.Kind.COMMODITY,
            )
        if v["line"] and family.line_id is None:
            family.line = lines[v["line"]]
            family.save(update_fields=["line"])
    for code in technical:
        if code in families and families[code].kind != ProductFamily.Kind.TECHNICAL:
            families[code].kind = ProductFamily.Kind.TECHNICAL
            families[code].save(update_fields=["kind"])

    existing = _by_code(Product, {v["code"] for v in accepted})
    wanted = {}
    for v in accepted:
        fields = {"family_id": families[v["family"]].pk}
        fields.update({k: v[k] for k in ("name", "list_price", "launch_date") if k in columns})
        if "category" in columns:
            current = existing[v["code"]].attributes if v["code"] in existing else {}
            fields["attributes"] = {**current, "category": v["category"]}
        wanted[v["code"]] = fields
    _upsert(Product, result, wanted, existing, lambda code, v: Product(code=code, **v))


def import_potentials(rows, result, columns, *, comma=False):
    """Potentials per (client, family, source); rows of the same triple (the ERP splits a
    family by product category) are added up."""
    by_code, by_name = {}, {}
    for pk, code, name in ProductFamily.objects.values_list("pk", "code", "name"):
        by_code[code] = pk
        by_name.setdefault(name.casefold(), pk)
    parsed = list(
        _clean_rows(
            rows,
            result,
            lambda raw: collect(
                raw,
                {
                    "client": lambda r: text(r, "client", required=True),
                    "family": lambda r: text(r, "family", required=True),
                    "annual_potential": lambda r: parse_decimal(
                        r, "annual_potential", comma=comma, max_digits=14
                    ),
                    "source": lambda r: text(r, "source", max_length=64) or "erp",
                },
            ),
        )
    )
    clients = lookup(Client.objects, "code", {v["client"] for _, _, v in parsed}, "id")
    totals = {}
    for number, raw, v in parsed:
        client = clients.get(v["client"])
        family = by_code.get(v["family"]) or by_name.get(v["family"].casefold())
        errors = []
        if client is None:
            errors.append(
                FieldError("client", "unknown client", f"client {v['client']!r} does not exist.")
            )
        if family is None:
            errors.append(
                FieldError("family", "unknown family", f"family {v['family']!r} does not exist.")
            )
        if v["annual_potential"] < 0:
            errors.append(
                FieldError(
                    "annual_potential", "negative potential", "annual_potential is negative."
                )
            )
        if errors:
            result.reject(number, errors, raw)
            continue
        key = (client[0], family, v["source"])
        totals[key] = totals.get(key, Decimal(0)) + v["annual_potential"]
    existing = {}
    for batch in batched({k[0] for k in totals}):
        for p in Potential.objects.filter(client_id__in=batch):
            existing[(p.client_id, p.family_id, p.source)] = p
    _upsert(
        Potential,
        result,
        {k: {"annual_potential": v} for k, v in totals.items()},
        existing,
        lambda k, v: Potential(client_id=k[0], family_id=k[1], source=k[2], **v),
    )
