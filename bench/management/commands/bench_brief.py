from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Time the spoken brief of five items (eSpeak NG + opusenc) in Spanish and English: "
        "words, audio length, synthesis time (median, worst), speech rate; target under 5 s."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="a username: brief their real queue (top 5)")
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, **options):
        from bench.briefs import run
        from crm.models import User

        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user named {options['user']!r}")
        run(user=user, repeat=max(options["repeat"], 1), out=self.stdout.write)
