"""Import opportunities and stage history from CSV sheets, recognised by their headers.

Two layouts are read:

- ours: ``opportunity_id, client, owner, amount, stage, created_date`` (+ optional ``name,
  family, product, lead_source, region, segment, expected_close_date, closed_date,
  lost_reason``) and a stage history ``opportunity_id, stage, date`` (+ ``changed_by``);
- the public "CRM Sales Opportunities" sample: ``sales_pipeline.csv`` (opportunity_id,
  sales_agent, product, account, deal_stage, engage_date, close_date, close_value) with
  ``accounts.csv`` (sector -> segment), ``products.csv`` (series -> family, sales_price ->
  amount of open and lost deals, whose close_value is empty or 0) and ``sales_teams.csv``
  (manager, regional_office -> region).

Each bad row is reported with its file, line and field and skipped; good rows are kept.
Re-importing the same files changes nothing (rows are keyed by opportunity id). Unknown
accounts, agents and products are errors unless ``create_missing`` is set.
"""

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from crm.models import Client, Product, ProductFamily, User

from .models import Opportunity, Outcome, Stage, StageChange

PLAIN = {"opportunity_id", "client", "owner", "amount", "stage", "created_date"}
HISTORY = {"opportunity_id", "stage", "date"}
PUBLIC = {"opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date"}
ACCOUNTS = {"account", "sector"}
PRODUCTS = {"product", "series", "sales_price"}
TEAMS = {"sales_agent", "manager", "regional_office"}
#: Stage names of other layouts -> our stage codes (used when no stage has that name).
STAGE_ALIASES = {"engaging": "qualification"}
LEAD_SOURCES = set(Opportunity.LeadSource.values)


class RowError(Exception):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    history: int = 0
    created_missing: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (file, line, field, message)
    sheets: list = field(default_factory=list)  # (file, kind)

    def error(self, path, line, field, message):
        self.errors.append((Path(path).name, line, field, message))


def parse_date(value, field, *, required=True):
    """ISO ``2016-10-20`` or day-first ``20-10-16``, ``20/10/2016``, ``20.10.2016``."""
    value = (value or "").strip()
    if not value:
        if required:
            raise RowError(field, "is empty")
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", value)
    if m:
        day, month, year = (int(g) for g in m.groups())
        year += 2000 if year < 100 else 0
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise RowError(field, f"{value!r} is not a date (YYYY-MM-DD or DD-MM-YY)")


def parse_amount(value, field, *, required=True):
    value = (value or "").strip().replace("€", "").replace(" ", "")
    if not value:
        if required:
            raise RowError(field, "is empty")
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RowError(field, f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise RowError(field, f"{value!r} is not a number")
    if amount < 0:
        raise RowError(field, f"is negative ({value})")
    return amount.quantize(Decimal("0.01"))


def read_sheet(path):
    """``(header set, [(line, row dict)])`` of a CSV file (UTF-8, optional BOM; delimited by
    commas, semicolons or tabs)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        first = handle.readline()
        handle.seek(0)
        delimiter = max(",;\t", key=first.count)  # as crm's sheets: the commonest of the three
        reader = csv.DictReader(handle, delimiter=delimiter)
        header = {(h or "").strip().lower() for h in reader.fieldnames or []}
        rows = []
        for row in reader:
            clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
            rows.append((reader.line_num, clean))
    return header, rows


def classify(header):
    for kind, needed in (
        ("public", PUBLIC),
        ("plain", PLAIN),
        ("history", HISTORY),
        ("teams", TEAMS),
        ("products", PRODUCTS),
        ("accounts", ACCOUNTS),
    ):
        if needed <= header:
            return kind
    return None


class Importer:
    def __init__(self, *, create_missing=False, today=None):
        self.create_missing = create_missing
        self.today = today or dt.date.today()
        self.report = Report()
        self.stages = {}
        for stage in Stage.objects.all():
            self.stages[stage.code.lower()] = stage
            self.stages[stage.name.lower()] = stage
        self.accounts, self.products, self.teams = {}, {}, {}
        self.seen = set()

    # --- Lookups -----------------------------------------------------------------------

    def stage(self, name, field):
        key = (name or "").strip().lower()
        stage = self.stages.get(key) or self.stages.get(STAGE_ALIASES.get(key, ""))
        if stage is None:
            raise RowError(field, f"unknown stage {name!r}")
        return stage

    def client(self, code, field):
        if not code:
            raise RowError(field, "is empty")
        client = Client.objects.filter(code=code[:64]).first()
        if client is None:
            if not self.create_missing:
                raise RowError(field, f"unknown account {code!r} (--create-missing adds it)")
            client = Client.objects.create(code=code[:64], name=code[:200])
            self.report.created_missing.append(f"account {code}")
        return client

    def user(self, name, field, *, manager=None, role=User.Role.REP):
        if not name:
            return None
        user = (
            User.objects.filter(username=name).first()
            or User.objects.filter(username=slugify(name)[:150]).first()
        )
        if user is None:
            first, _, last = name.partition(" ")
            user = User.objects.filter(first_name=first, last_name=last).first() if last else None
        if user is None:
            if not self.create_missing:
                raise RowError(field, f"unknown sales agent {name!r} (--create-missing adds it)")
            first, _, last = name.partition(" ")
            user = User(
                username=slugify(name)[:150] or name,
                first_name=first[:150],
                last_name=last[:150],
                role=role,
                manager=manager,
            )
            user.set_unusable_password()
            user.save()
            self.report.created_missing.append(f"user {name}")
        return user

    def product(self, code, field):
        """``(product, family)``; unknown codes are errors unless created on request."""
        if not code:
            return None, None
        product = Product.objects.filter(code=code[:64]).select_related("family").first()
        if product is not None:
            return product, product.family
        series = self.products.get(code, {}).get("series", "")
        family = ProductFamily.objects.filter(code=series[:64]).first() if series else None
        if not self.create_missing:
            if family is not None:
                return None, family
            raise RowError(field, f"unknown product {code!r} (--create-missing adds it)")
        if family is None:
            family = ProductFamily.objects.create(code=(series or code)[:64], name=series or code)
            self.report.created_missing.append(f"family {family.code}")
        price = self.products.get(code, {}).get("price")
        product = Product.objects.create(code=code[:64], name=code, family=family, list_price=price)
        self.report.created_missing.append(f"product {code}")
        return product, family

    # --- Sheets --------------------------------------------------------------------------

    def load_reference(self, kind, rows):
        for _, row in rows:
            if kind == "accounts":
                self.accounts[row["account"]] = row
            elif kind == "products":
                try:
                    price = parse_amount(row.get("sales_price"), "sales_price", required=False)
                except RowError:
                    price = None
                self.products[row["product"]] = {"series": row.get("series", ""), "price": price}
            elif kind == "teams":
                self.teams[row["sales_agent"]] = row

    def import_rows(self, path, kind, rows):
        clean = self.clean_public if kind == "public" else self.clean_plain
        for line, row in rows:
            try:
                with transaction.atomic():
                    if kind == "history":
                        self.save_history(row)
                    else:
                        self.save(*clean(row))
            except RowError as exc:
                self.report.error(path, line, exc.field, exc.message)

    def _check_id(self, row):
        key = row.get("opportunity_id", "")
        if not key:
            raise RowError("opportunity_id", "is empty")
        if key in self.seen:
            raise RowError("opportunity_id", f"duplicate opportunity id {key!r} in this import")
        self.seen.add(key)
        return key[:64]

    def clean_plain(self, row):
        key = self._check_id(row)
        stage = self.stage(row["stage"], "stage")
        product, family = self.product(row.get("product", ""), "product")
        if row.get("family"):
            family = ProductFamily.objects.filter(code=row["family"]).first()
            if family is None:
                raise RowError("family", f"unknown family {row['family']!r}")
        source = (row.get("lead_source") or "other").lower()
        if source not in LEAD_SOURCES:
            raise RowError("lead_source", f"unknown lead source {source!r}")
        fields = {
            "name": row.get("name", "")[:200],
            "client": self.client(row["client"], "client"),
            "owner": self.user(row.get("owner", ""), "owner"),
            "family": family,
            "product": product,
            "amount": parse_amount(row["amount"], "amount"),
            "lead_source": source,
            "region": row.get("region", "")[:64],
            "segment": row.get("segment", "")[:64],
            "stage": stage,
            "created_date": parse_date(row["created_date"], "created_date"),
            "expected_close_date": parse_date(
                row.get("expected_close_date"), "expected_close_date", required=False
            ),
            "closed_date": parse_date(row.get("closed_date"), "closed_date", required=False),
            "lost_reason": row.get("lost_reason", "")[:200],
        }
        return key, fields, None

    def clean_public(self, row):
        key = self._check_id(row)
        stage = self.stage(row["deal_stage"], "deal_stage")
        agent = row["sales_agent"]
        team = self.teams.get(agent, {})
        manager = None
        if team.get("manager"):
            manager = self.user(team["manager"], "sales_agent", role=User.Role.MANAGER)
        product, family = self.product(row.get("product", ""), "product")
        closed = parse_date(row.get("close_date"), "close_date", required=False)
        value = parse_amount(row.get("close_value"), "close_value", required=False)
        if stage.outcome != Outcome.WON or not value:
            value = self.products.get(row.get("product", ""), {}).get("price") or value
        if value is None:
            raise RowError("close_value", "is empty and products.csv has no sales_price for it")
        created = parse_date(row.get("engage_date"), "engage_date", required=False)
        fields = {
            "name": f"{row.get('product', '')} · {row.get('account', '')}".strip(" ·")[:200],
            "client": self.client(row["account"], "account"),
            "owner": self.user(agent, "sales_agent", manager=manager),
            "family": family,
            "product": product,
            "amount": value,
            "lead_source": Opportunity.LeadSource.OTHER,
            "region": team.get("regional_office", "")[:64],
            "segment": self.accounts.get(row["account"], {}).get("sector", "")[:64],
            "stage": stage,
            "created_date": created or self._known_created(key) or self.today,
            "closed_date": closed,
        }
        return key, fields, created

    @staticmethod
    def _known_created(key):
        return (
            Opportunity.objects.filter(external_id=key)
            .values_list("created_date", flat=True)
            .first()
        )

    def save(self, key, fields, engaged):
        stage = fields["stage"]
        fields["outcome"] = stage.outcome
        created, closed = fields["created_date"], fields["closed_date"]
        if stage.outcome != Outcome.OPEN and closed is None:
            raise RowError("closed_date", f"is empty for a deal in stage {stage.name}")
        if closed is not None and closed < created:
            raise RowError("closed_date", f"{closed} is before the created date {created}")
        opp = Opportunity.objects.filter(external_id=key).first()
        if opp is None:
            opp = Opportunity.objects.create(external_id=key, **fields)
            self.report.created += 1
        elif any(getattr(opp, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(opp, k, v)
            opp.save()
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        if engaged is not None:  # public layout: the only history it has
            self._change(opp, self.stage("engaging", "deal_stage"), engaged, opp.owner)
        if closed is not None and stage.outcome != Outcome.OPEN:
            self._change(opp, stage, closed, opp.owner)

    def _change(self, opp, stage, date, user):
        _, made = StageChange.objects.get_or_create(
            opportunity=opp, stage=stage, date=date, defaults={"changed_by": user}
        )
        self.report.history += made

    def save_history(self, row):
        key = row["opportunity_id"]
        opp = Opportunity.objects.filter(external_id=key).first()
        if opp is None:
            raise RowError("opportunity_id", f"unknown opportunity {key!r}")
        stage = self.stage(row["stage"], "stage")
        date = parse_date(row["date"], "date")
        if date < opp.created_date:
            raise RowError("date", f"{date} is before the deal was created ({opp.created_date})")
        user = self.user(row.get("changed_by", ""), "changed_by")
        self._change(opp, stage, date, user)


def import_directory(directory, *, create_missing=False, today=None) -> Report:
    """Import every recognised ``*.csv`` of ``directory``: reference sheets first, then
    opportunities, then stage history."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    importer = Importer(create_missing=create_missing, today=today)
    sheets = []
    for path in sorted(directory.glob("*.csv")):
        header, rows = read_sheet(path)
        kind = classify(header)
        importer.report.sheets.append((path.name, kind or "not recognised"))
        if kind is None:
            importer.report.error(
                path,
                1,
                "header",
                "not an opportunity, stage-history, account, product or team sheet",
            )
        else:
            sheets.append((path, kind, rows))
    order = {"accounts": 0, "products": 0, "teams": 0, "plain": 1, "public": 1, "history": 2}
    for path, kind, rows in sorted(sheets, key=lambda s: order[s[1]]):
        if order[kind] == 0:
            importer.load_reference(kind, rows)
        else:
            importer.import_rows(path, kind, rows)
    return importer.report


# --- import_erp: the reader this engine registers with crm.importing.registry --------------

#: classify() kind -> the sheet kind import_erp reports.
ERP_KINDS = {
    "plain": "opportunities",
    "public": "sample_opportunities",
    "history": "stage_history",
    "accounts": "sample_accounts",
    "products": "sample_products",
    "teams": "sample_teams",
}
_FROM_ERP = {v: k for k, v in ERP_KINDS.items()}
_ORDER = {"accounts": 0, "products": 0, "teams": 0, "plain": 1, "public": 1, "history": 2}


def recognise(header):
    """The sheet kind of a header (lower-cased names) this engine reads, or ``None``."""
    kind = classify(set(header))
    return ERP_KINDS.get(kind) if kind else None


def import_erp_sheets(sheets, options, *, today=None):
    """Import the sheets ``import_erp`` found ours (``[(path, kind)]``); one crm
    ``SheetReport`` per sheet, with the counts and rejected rows of that sheet."""
    from crm.importing.sheets import SheetReport
    from crm.importing.values import FieldError

    importer = Importer(create_missing=options.create_missing, today=today)
    ordered = sorted(
        ((Path(p), _FROM_ERP[k]) for p, k in sheets), key=lambda s: (_ORDER[s[1]], s[0].name)
    )
    reports = []
    for path, kind in ordered:
        header, rows = read_sheet(path)
        result = options.new_result(path)
        result.read = len(rows)
        r = importer.report
        before = (
            r.created,
            r.updated,
            r.unchanged,
            r.history,
            len(r.errors),
            len(r.created_missing),
        )
        if _ORDER[kind] == 0:
            importer.load_reference(kind, rows)
            result.note(f"read as reference for the opportunities sheet ({len(rows)} rows)")
        else:
            importer.import_rows(path, kind, rows)
        for _, line, name, message in r.errors[before[4] :]:
            result.reject(line, [FieldError(name, f"bad {name}", message)])
        if kind == "history":
            result.imported = r.history - before[3]
            result.skipped = result.read - result.imported - result.rejected
        elif _ORDER[kind] == 1:
            result.imported = r.created - before[0]
            result.updated = r.updated - before[1]
            result.skipped = r.unchanged - before[2]
            changes = r.history - before[3]
            if changes:
                result.note(f"{changes} stage changes recorded with the deals")
        for item in r.created_missing[before[5] :]:
            result.note(f"created {item}")
        reports.append(SheetReport(path, kind=ERP_KINDS[kind], format="deals", result=result))
    return reports
