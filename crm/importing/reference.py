"""Reference sheets: campaigns, clients and products (potentials: :mod:`.potentials`).

They are small and read whole; each row is validated, bad rows are rejected with their line,
field and reason, and the good ones are created or updated by their natural key.
"""

from ..bulkload import batched
from ..models import Campaign, Client, Product, ProductFamily, ProductLine, User
from .provinces import contradiction
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


def first_of_each(accepted, result, what):
    """``({code: values}, {code: line})`` of ``accepted`` (number, raw, values) rows, keeping
    each code's first row. A repeat identical to it is skipped with a warning; a repeat with
    other values is rejected naming the line of the first. The summary notes which."""
    wanted, lines, repeated = {}, {}, 0
    for number, raw, values in accepted:
        code = values.pop("code")
        if code not in wanted:
            wanted[code], lines[code] = values, number
            continue
        repeated += 1
        first = lines[code]
        if values == wanted[code]:
            result.skipped += 1
            result.warn(number, "code", f"{what} {code} repeats line {first} identically.")
        else:
            message = f"{what} {code} is on line {first} with other values; line {first} is kept."
            result.reject(number, [FieldError("code", f"repeated {what} code", message)], raw)
    if repeated:
        result.note(
            f"{repeated} rows repeat a {what} code of an earlier row: the first occurrence of "
            "each code is kept, identical repeats skipped, differing ones rejected"
        )
    return wanted, lines


def create_clients(codes):
    """Create clients with only their ``codes`` (``--create-missing-clients``); return
    ``{code: id}``. Codes longer than a client code can be are left out."""
    codes = sorted(code for code in codes if len(code) <= 64)
    if not codes:
        return {}
    Client.objects.bulk_create([Client(code=code) for code in codes], batch_size=1000)
    return {code: row[0] for code, row in lookup(Client.objects, "code", codes, "id").items()}


def note_created_clients(result, codes):
    """Name the clients ``--create-missing-clients`` created in the summary."""
    if codes:
        codes = sorted(codes)
        more = f" and {len(codes) - 20} more" if len(codes) > 20 else ""
        result.note(
            f"created {len(codes)} clients absent from the clients sheet "
            f"(--create-missing-clients, code only): {', '.join(codes[:20])}{more}"
        )


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

    wanted, _ = first_of_each(_clean_rows(rows, result, clean), result, "campaign")
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
    accepted = _clean_rows(rows, result, lambda r: collect(r, parsers))
    wanted, lines = first_of_each(accepted, result, "client")
    doubts = 0
    for code, values in wanted.items():
        message = contradiction(values.get("postcode", ""), values.get("province", ""))
        if message:
            doubts += 1
            result.warn(lines[code], "postcode", f"client {code}: {message}")
    if doubts:
        result.note(f"clients whose postcode lies in another province: {doubts}, kept as warned")
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

    wanted, _ = first_of_each(_clean_rows(rows, result, clean), result, "product")
    accepted = [{"code": code, **values} for code, values in wanted.items()]
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
