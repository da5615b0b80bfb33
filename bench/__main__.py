"""``python -m bench twins [--quick] [--workers N] [--forecast]``: the twins benchmark without
Django (``--forecast``: the forecasts on public transaction logs, ``bench.forecast``)."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    tw = sub.add_parser("twins", help="quality and speed benchmark on simulated data")
    tw.add_argument("--quick", action="store_true", help="small run (about a minute)")
    tw.add_argument("--workers", type=int, default=1, help="processes for the speed runs")
    tw.add_argument(
        "--forecast",
        action="store_true",
        help="instead: forecasts on the CDNOW logs against BG/NBD and Pareto/NBD",
    )
    args = parser.parse_args(argv)
    if args.forecast:
        from bench.forecast import run as run_forecast

        run_forecast()
        return 0
    from bench.twins import run

    run(quick=args.quick, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
