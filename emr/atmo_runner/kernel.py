"""``python -m atmo_runner.kernel --prefix PREFIX``: register the runner's Jupyter kernel under PREFIX.

The kernel is this Python with ipykernel. The runner gives it ``spark`` and ``sc``
by naming ``spark_startup.py`` in ``PYTHONSTARTUP``; ``--with-spark`` writes that
into the kernel spec too, so that JupyterLab's notebooks on a cluster get them (the
local virtualenv's spec leaves it out: it is shared by checkouts of different
versions). ``--env NAME=VALUE`` adds to the kernel's environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .execute import _STARTUP_FILE, KERNEL_NAME


def kernel_spec(env: dict[str, str]) -> dict[str, object]:
    """The ``kernel.json`` of the runner's kernel."""
    return {
        # "python" is the Python that starts the kernel (jupyter_client swaps in its own).
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "PySpark (ATMO)",
        "language": "python",
        "env": env,
        "metadata": {"debugger": True},
    }


def install(prefix: Path, env: dict[str, str] | None = None) -> Path:
    """Write the kernel spec to ``PREFIX/share/jupyter/kernels/atmo-pyspark/``; returns its folder."""
    folder = prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(kernel_spec(env or {}), indent=2) + "\n")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atmo_runner.kernel", description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", type=Path, default=Path(sys.prefix), help="default: this virtualenv")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--with-spark", action="store_true", help="start spark and sc in every notebook")
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    if args.with_spark:
        env["PYTHONSTARTUP"] = str(_STARTUP_FILE)
    print(install(args.prefix, env=env))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
