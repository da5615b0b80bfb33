from django.core.management.base import BaseCommand, CommandError

from recommender.launch import services
from recommender.launch.models import Launch


class Command(BaseCommand):
    help = (
        "Target the draft launches (or --launch ID, draft or not): score every client, raise "
        "'early adopter' alerts for each rep's best clients. With --judge, also judge who "
        "bought the targeted launches within 12 weeks (outcomes to the bandit, the report)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--launch", type=int, help="id of one launch to (re)target")
        parser.add_argument("--judge", action="store_true", help="judge outcomes too")

    def handle(self, *args, **options):
        if options["launch"]:
            launches = list(Launch.objects.filter(pk=options["launch"]))
            if not launches:
                raise CommandError(f"--launch {options['launch']}: no such launch.")
        else:
            launches = list(Launch.objects.filter(status=Launch.Status.DRAFT))
            if not launches:
                self.stdout.write(
                    "No draft launch to target: add one in the admin (Launches), then run this "
                    "again, or retarget one with --launch ID."
                )
        for launch in launches:
            try:
                n = services.target_launch(launch)
            except services.LaunchError as exc:
                self.stderr.write(str(exc))
                continue
            self.stdout.write(f"{launch}: {n} early-adopter alerts.")
        if options["judge"]:
            self.stdout.write(f"{services.judge_outcomes()} launch outcomes fed to the bandit.")
