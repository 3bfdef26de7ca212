"""Print how long a small PySpark notebook takes from "Run now" to COMPLETED with the local emulator.

``python bin/measure_run.py [--speed 1.0] [--runs 3]`` starts the local AWS emulator
(as ``make run`` does, at ``--speed``), uploads a notebook that counts with Spark, and
asks EMR for a job run the way "Run now" does (the Spark job provisioner's RunJobFlow).
It prints, for each run, the seconds until the batch step is COMPLETED and until the
cluster is TERMINATED. The first run includes the kernel's and the JVM's cold start.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmo.settings")
os.environ.setdefault("ATMO_ENVIRONMENT", "dev")

NOTEBOOK_CELLS = [
    "run_date = None",
    "total = spark.range(1000).selectExpr('sum(id) AS total').first()['total']\nprint(run_date, total)",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=1.0, help="the emulator's delay factor (make run: 1)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import json
    import logging

    import nbformat

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from localdev.aws import DUMMY_CREDENTIALS, LocalAWS

    with LocalAWS("127.0.0.1", 0, speed=args.speed) as aws:
        os.environ.update(
            AWS_ENDPOINT_URL=aws.endpoint_url,
            AWS_ACCESS_KEY_ID=DUMMY_CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIALS["aws_secret_access_key"],
            AWS_DEFAULT_REGION=aws.region,
        )
        import django

        django.setup()
        from atmo.jobs.provisioners import SparkJobProvisioner

        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in NOTEBOOK_CELLS])
        notebook.cells[0].metadata["tags"] = ["parameters"]
        s3, emr = aws.client("s3"), aws.client("emr")
        s3.put_object(Bucket=aws.buckets.code, Key="jobs/measure/count.ipynb", Body=nbformat.writes(notebook))
        print(f"emulator speed {args.speed}; notebook: Spark sums 1..1000 (local[2])")
        for number in range(1, args.runs + 1):
            started = time.monotonic()
            jobflow_id = SparkJobProvisioner().run(
                "measure", "measure@example.com", "measure", "7.1.0", 1, "jobs/measure/count.ipynb",
                is_public=False, job_timeout=1, run_id=number, parameters={"run_date": "2026-12-07"},
            )  # fmt: skip
            completed = None
            while True:
                steps = emr.list_steps(ClusterId=jobflow_id)["Steps"]
                batch = next(step for step in steps if step["Name"] == "RunNotebookStep")
                if completed is None and batch["Status"]["State"] in ("COMPLETED", "FAILED"):
                    completed = time.monotonic() - started
                    state = batch["Status"]["State"]
                cluster = emr.describe_cluster(ClusterId=jobflow_id)["Cluster"]["Status"]["State"]
                if cluster.startswith("TERMINATED"):
                    break
                time.sleep(0.2)
            terminated = time.monotonic() - started
            key = f"measure/runs/{number}/outcome.json"
            outcome = json.loads(s3.get_object(Bucket=aws.buckets.private_data, Key=key)["Body"].read())
            print(f"run {number}: step {state} after {completed:.1f} s (the notebook itself: ", end="")
            print(f"{outcome['duration_seconds']:.1f} s); cluster {cluster} after {terminated:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
