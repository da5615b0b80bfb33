"""``manage.py import_deals DIR``: opportunities and stage history from CSV sheets."""

from django.core.management.base import BaseCommand, CommandError

from deals.importing import import_directory


class Command(BaseCommand):
    help = (
        "Import opportunities and stage history from the CSV sheets of DIR, in our plain layout "
        "or the public 'CRM Sales Opportunities' layout (sales_pipeline.csv, accounts.csv, "
        "products.csv, sales_teams.csv). Bad rows are reported by file, line and field and "
        "skipped; re-importing changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="create unknown accounts, sales agents and products instead of rejecting rows",
        )

    def handle(self, directory, create_missing, **options):
        try:
            report = import_directory(directory, create_missing=create_missing)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout.write
        for name, kind in report.sheets:
            out(f"{name}: {kind}")
        out(
            f"Opportunities: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged; {report.history} stage changes added; "
            f"{len(report.errors)} rows rejected."
        )
        for item in report.created_missing:
            out(f"  created {item}")
        for name, line, field, message in report.errors:
            out(f"  {name} line {line}, {field}: {message}")
