"""``bench_queue`` stops with the error when a warm-up request fails, instead of hanging."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management.base import CommandError

from bench.management.commands.bench_queue import Command


class FirstOnlyHandler(BaseHTTPRequestHandler):
    """Answers the first request 200 and every later one 500 (a server falling over)."""

    served = 0
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 (http.server's name)
        with self.lock:
            type(self).served += 1
            ok = type(self).served == 1
        body = b"ok" if ok else b"boom"
        self.send_response(200 if ok else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run_bounded(target, seconds=120):
    """Run ``target`` in a thread; return ``(finished, exception)`` (a hang guard)."""
    outcome = {}

    def go():
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 (reported to the test)
            outcome["exc"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), outcome.get("exc")


@pytest.mark.parametrize("server", ["one warm-up fails", "nothing listens"])
def test_a_failed_warm_up_stops_the_benchmark_with_the_error(server):
    plans = [[("queue", "/")] for _ in range(4)]
    cookies = ["sessionid=x"] * 4
    if server == "nothing listens":
        base, httpd = "http://127.0.0.1:9", None
    else:
        FirstOnlyHandler.served = 0
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), FirstOnlyHandler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        finished, exc = run_bounded(lambda: Command()._run(base, cookies, plans, 0.0, 1))
    finally:
        if httpd is not None:
            httpd.shutdown()
    assert finished, "bench_queue hung after a failed warm-up"
    assert isinstance(exc, CommandError)
    assert "warm-up" in str(exc) and base in str(exc)
