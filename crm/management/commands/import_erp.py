"""``manage.py import_erp DIR``: import an ERP extract or plain CSV sheets from a directory."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crm.importing import CHUNK_SIZE, ErrorFile, import_directory, parse_column_map

#: Share of rejected rows that are "unknown client" above which the summary suggests
#: ``--create-missing-clients``.
SUGGEST_CREATE_SHARE = 0.5


def print_summary(reports, write):
    """Write one block per sheet: rows read, imported, updated, skipped, rejected by reason."""
    for report in reports:
        name = report.path.name
        if report.result is None:
            write(f"{name}: REJECTED — {report.error}")
            continue
        r = report.result
        write(
            f"{name} ({report.format} {report.kind}): read {r.read}, imported {r.imported}, "
            f"updated {r.updated}, skipped as already present {r.skipped}, rejected {r.rejected}"
        )
        if report.error:
            write(f"  stopped: {report.error}")
        for note in r.notes:
            write(f"  decided: {note}")
        if r.warned:
            write(f"  warnings {r.warned} (rows kept):")
        for warning in sorted(r.warnings, key=lambda e: e["row"]):
            write(f"  {name} line {warning['row']}, {warning['field']}: {warning['message']}")
        for reason, count in r.reasons.most_common():
            write(f"  rejected {count}: {reason}")
        for error in sorted(r.errors, key=lambda e: e["row"]):
            write(f"  {name} line {error['row']}, {error['field']}: {error['message']}")
        if r.max_errors is not None and len(r.errors) >= r.max_errors:
            write(f"  (first {r.max_errors} errors shown; --errors FILE writes them all)")
    results = [r.result for r in reports if r.result is not None]
    keys = ("read", "imported", "skipped", "rejected")
    total = {k: sum(getattr(r, k) for r in results) for k in keys}
    write(
        "Total: read {read}, imported {imported}, skipped as already present {skipped}, "
        "rejected {rejected}".format(**total)
    )
    unknown = sum(r.reasons.get("unknown client", 0) for r in results)
    if unknown and unknown > SUGGEST_CREATE_SHARE * total["rejected"]:
        write(
            f"{unknown} of the {total['rejected']} rejected rows name a client absent from the "
            "clients sheet: `import_erp DIR --create-missing-clients` creates them (code only) "
            "and imports their rows."
        )


class Command(BaseCommand):
    help = (
        "Import the CSV sheets of DIR (ERP export or plain format, recognised by their header): "
        "campaigns, clients, products, potentials, then sales lines. Re-importing changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--technical",
            default="",
            help="Comma-separated family codes to mark technical (others default to commodity).",
        )
        parser.add_argument("--errors", metavar="FILE", help="Write every rejected row to FILE.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument(
            "--create-missing-clients",
            action="store_true",
            help="Create the clients that sales or potentials name but no clients sheet has "
            "(with their code only), instead of rejecting their rows.",
        )
        parser.add_argument(
            "--columns",
            action="append",
            metavar="KIND:COLUMN=KEY",
            help="Read a column as a key, e.g. clients:2=postcode (columns numbered from 1, or "
            "a header as written); repeat or separate with commas.",
        )

    def handle(self, directory, technical, errors, no_progress, chunk_size, **options):
        show = not no_progress and sys.stderr.isatty()
        try:
            columns = parse_column_map(options["columns"])
        except ValueError as error:
            raise CommandError(str(error)) from error

        def progress(total, desc):
            return tqdm(total=total, desc=desc, unit=" lines", unit_scale=True, file=sys.stderr)

        error_file = ErrorFile(errors) if errors else None
        try:
            reports = import_directory(
                directory,
                technical={c.strip() for c in technical.split(",") if c.strip()},
                errors_to=error_file,
                chunk_size=chunk_size,
                progress=progress if show else None,
                columns=columns,
                create_missing_clients=options["create_missing_clients"],
            )
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        finally:
            if error_file is not None:
                error_file.close()
        if not reports:
            raise CommandError(f"No *.csv sheets in {directory}.")
        print_summary(reports, self.stdout.write)
        if errors:
            self.stdout.write(f"Rejected rows written to {errors}")
        failed = [r.path.name for r in reports if r.error]
        if failed:
            raise CommandError(f"Sheets not imported: {', '.join(failed)}")
