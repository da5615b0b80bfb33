"""``manage.py import_surveys FILE``: satisfaction survey answers from a CSV sheet."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crm.importing.values import SheetError
from voice.importing import read_survey_sheet


class Command(BaseCommand):
    help = (
        "Import survey answers (response_id, client, date, nps, overall, would_recommend, "
        "comment, channel) from a CSV file. Bad rows are reported by file, line and field and "
        "skipped; re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            result = read_survey_sheet(path)
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout.write
        out(
            f"{path.name}: {result.read} rows read; {result.imported} answers created, "
            f"{result.updated} updated, {result.skipped} unchanged; {result.rejected} rejected."
        )
        for error in result.errors:
            out(f"  {path.name} line {error['row']}, {error['field']}: {error['message']}")
        for warning in result.warnings:
            out(
                f"  {path.name} line {warning['row']}, {warning['field']} (kept): "
                f"{warning['message']}"
            )
