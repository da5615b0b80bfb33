"""``manage.py bench_queue``: load-test the queue page with concurrent reps over real HTTP.

Picks the reps with the most live alerts, logs each in (a session row, no password needed),
starts gunicorn on the current database (or uses ``--url``), and has every rep load queue
pages in a closed loop: the plain queue, a kind filter, a client search, page 2 and a province.
Prints latency percentiles per page and overall. Bounded: ``--reps`` x ``--requests`` requests.
"""

import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, Q

from crm.models import Alert, Client, User


def _percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Load-test the queue page: N concurrent reps, latency percentiles per page."

    def add_arguments(self, parser):
        parser.add_argument("--reps", type=int, default=20, help="concurrent reps (default 20)")
        parser.add_argument("--requests", type=int, default=25, help="requests per rep")
        parser.add_argument(
            "--think", type=float, default=0.0, help="mean seconds a rep waits between pages"
        )
        parser.add_argument("--url", help="base URL of a running server (default: start one)")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--spread",
            action="store_true",
            help="first deal the clients round-robin over --reps reps (bench_rep_NN, created "
            "under the demo's manager). Rewrites Client.rep: use a copy of the demo.",
        )

    def handle(self, *args, **opts):
        if opts["spread"]:
            self._spread(opts["reps"])
        users = list(
            User.objects.filter(role=User.Role.REP)
            .annotate(live=Count("clients__alerts", filter=Q(clients__alerts__status="open")))
            .order_by("-live")[: opts["reps"]]
        )
        if not users:
            raise CommandError("No reps in this database: load the demo first (seed_demo).")
        self._describe(users)
        # With fewer reps than --reps, several sessions share a rep (as on two devices).
        reps = [users[i % len(users)] for i in range(opts["reps"])]
        cookies = [self._session(rep) for rep in reps]
        plans = [self._plan(rep, opts["requests"], opts["seed"] + i) for i, rep in enumerate(reps)]
        server = None
        base = opts["url"]
        if not base:
            server, base = self._start_server(opts["workers"])
        try:
            results = self._run(base.rstrip("/"), cookies, plans, opts["think"], opts["seed"])
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
        self._report(results, len(reps), opts)

    # --- setup ---------------------------------------------------------------------------

    def _spread(self, n):
        """Give ``n`` reps an equal share of the clients, as a 20-rep sales team would have."""
        manager = User.objects.filter(role=User.Role.MANAGER).order_by("pk").first()
        reps = []
        for i in range(n):
            rep, _ = User.objects.get_or_create(
                username=f"bench_rep_{i + 1:02d}",
                defaults={"role": User.Role.REP, "manager": manager, "first_name": "Bench"},
            )
            reps.append(rep.pk)
        with connection.cursor() as cursor:
            table = Client._meta.db_table
            for i, rep_pk in enumerate(reps):
                cursor.execute(
                    f"UPDATE {table} SET rep_id = %s WHERE MOD(id, %s) = %s", [rep_pk, n, i]
                )
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")
        self.stdout.write(f"spread {Client.objects.count()} clients over {n} reps")

    def _describe(self, reps):
        db = settings.DATABASES["default"]
        live = Alert.objects.filter(status__in=Alert.LIVE_STATUSES).count()
        self.stdout.write(
            f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')} · "
            f"{Client.objects.count()} clients · {live} live alerts · "
            f"{len(reps)} distinct reps, open alerts each {min(r.live for r in reps)}-"
            f"{max(r.live for r in reps)}"
        )

    def _session(self, user):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; django_language=en"

    def _plan(self, rep, n, seed):
        """The pages this rep will load: a realistic mix of the queue's uses."""
        rng = random.Random(seed)
        alerts = list(
            Alert.objects.filter(client__rep=rep, status="open")
            .values_list("kind", "client__name", "client__province")
            .order_by("-priority")[:50]
        )
        pages = [("queue", "/")]
        if alerts:
            kind, name, province = alerts[0]
            pages.append(("kind", "/?" + urlencode({"kind": kind})))
            if name:
                pages.append(("search", "/?" + urlencode({"q": name.split()[-1][:6]})))
            if province:
                pages.append(("province", "/?" + urlencode({"province": province})))
        pages.append(("page 2", "/?page=2"))
        weights = {"queue": 4, "kind": 2, "search": 2, "province": 1, "page 2": 1}
        return rng.choices(pages, weights=[weights[p] for p, _ in pages], k=n)

    def _start_server(self, workers):
        call_command("collectstatic", "--noinput", verbosity=0)  # served as in production
        port = _free_port()
        gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
        cmd = [
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
        self.stdout.write(f"server: gunicorn, {workers} sync workers on port {port}")
        server = subprocess.Popen(cmd)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=1).read()
                return server, base
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        server.terminate()
        raise CommandError("gunicorn did not start; see the output above.")

    # --- load ----------------------------------------------------------------------------

    def _run(self, base, cookies, plans, think, seed):
        results = []
        lock = threading.Lock()
        start = threading.Barrier(len(plans))
        warmup_errors = []

        def rep_loop(i):
            rng = random.Random(seed * 1000 + i)
            opener = urllib.request.build_opener()
            opener.addheaders = [("Cookie", cookies[i]), ("Accept-Language", "en")]
            try:
                opener.open(base + "/", timeout=30).read()  # warm-up, not measured
            except Exception as exc:
                # One failed warm-up stops everyone: the others wait at the barrier.
                warmup_errors.append((i, exc))
                start.abort()
                return
            try:
                start.wait()
            except threading.BrokenBarrierError:
                return
            mine = []
            for name, path in plans[i]:
                t0 = time.perf_counter()
                try:
                    with opener.open(base + path, timeout=30) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as exc:
                    status = exc.code
                mine.append((name, status, (time.perf_counter() - t0) * 1000))
                if think:
                    time.sleep(rng.uniform(0, 2 * think))
            with lock:
                results.extend(mine)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            list(pool.map(rep_loop, range(len(plans))))
        if warmup_errors:
            i, exc = warmup_errors[0]
            raise CommandError(f"warm-up request of session {i + 1} to {base}/ failed: {exc!r}")
        self.elapsed = time.perf_counter() - t0
        return results

    def _report(self, results, n_reps, opts):
        by_page = defaultdict(list)
        errors = 0
        for name, status, ms in results:
            by_page[name].append(ms)
            errors += status != 200
        rows = sorted(by_page.items(), key=lambda kv: -len(kv[1]))
        rows.append(("all", [ms for _n, _s, ms in results]))
        self.stdout.write(
            f"\n{n_reps} concurrent reps x {opts['requests']} requests, think time "
            f"{opts['think']:.1f} s: {len(results)} requests in {self.elapsed:.1f} s "
            f"({len(results) / self.elapsed:.1f} req/s), {errors} errors\n"
        )
        header = f"{'page':<10}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, values in rows:
            self.stdout.write(
                f"{name:<10}{len(values):>6}{statistics.median(values):>9.1f}"
                f"{_percentile(values, 0.95):>9.1f}{_percentile(values, 0.99):>9.1f}"
                f"{max(values):>9.1f}"
            )
        if errors:
            raise CommandError(f"{errors} requests did not answer 200.")
