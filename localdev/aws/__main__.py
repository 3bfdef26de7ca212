"""``python -m localdev.aws``: run the local AWS emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from localdev.aws.server import LocalAWS

logger = logging.getLogger("localdev.aws")


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.aws",
        description="Local S3 + EMR (moto) whose clusters move through their states over time.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--speed", type=_positive_float, default=1.0, help="delay factor; 0.1 is 10x faster")
    parser.add_argument("--verbose", action="store_true", help="also log every HTTP request")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT or SIGTERM, then stop cleanly; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s local-aws %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    aws = LocalAWS(args.host, args.port, speed=args.speed)
    try:
        aws.start()
    except OSError as exc:
        logger.error("%s", exc)
        return 1
    try:
        logger.info("ready at %s (speed %s, region %s)", aws.endpoint_url, args.speed, aws.region)
        logger.info("buckets: %s", ", ".join(aws.buckets.names()))
        # A timed wait keeps the main thread responsive to signals.
        while not stop.wait(1.0):
            pass
        logger.info("stopping")
    finally:
        aws.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
