"""Local AWS for development: S3 and an EMR whose clusters live, on one port.

`make run` starts it as the "local AWS" process::

    python -m localdev.aws [--host 127.0.0.1] [--port 4566] [--speed 1.0]

and gives the other processes ``AWS_ENDPOINT_URL=http://127.0.0.1:4566``.
boto3 reads that variable on its own, so nothing in the application knows it
is talking to an emulator.

What runs here
    moto in server mode (one HTTP endpoint for all services), the buckets ATMO
    uses (names from the same environment variables as the Django settings,
    the public data bucket readable by anyone, as its policy makes it in AWS),
    and the Spark/EMR bucket seeded with what the provisioners point EMR at:
    the shared ``configuration/configuration.json`` and the ``emr/`` folder,
    published as ``manage.py publish_emr_code`` publishes it (the real bootstrap
    action, steps and notebook runner).

Why more than plain moto
    moto's EMR clusters never move: a new cluster is WAITING (or TERMINATED)
    at once, its first step stays RUNNING for ever, and TerminateJobFlows ends
    a cluster on the spot. ATMO's status sync, expiry mails and job history
    only get exercised when clusters change state over time, so this module
    patches a few of moto's EMR methods in-process and runs `EMRLifecycle` in a
    background thread, which moves each cluster and its steps on a clock::

        STARTING --3s--> BOOTSTRAPPING --5s--> RUNNING (3s per step) / WAITING
            --> TERMINATING --3s--> TERMINATED or TERMINATED_WITH_ERRORS

    ``--speed`` multiplies every delay: 0.1 runs ten times faster.

Batch steps really run
    A step whose script is ``s3://…/steps/batch.sh`` (a job run's) runs for real
    when it becomes RUNNING: its script and the published runner are fetched from
    the local S3 into a temporary folder and the script runs in a subprocess, with
    this Python, a local kernel and PySpark in local mode (Java 17 needed; without
    it a notebook that uses Spark fails saying so). The notebook's outputs land in
    the results bucket as on EMR; the step ends COMPLETED or FAILED by the script's
    exit status (a failed step with ActionOnFailure TERMINATE_CLUSTER or
    TERMINATE_JOB_FLOW ends the cluster TERMINATED_WITH_ERRORS, reason
    STEP_FAILURE). A step still running when its cluster is terminated is killed.
    Other steps (the Zeppelin set-up) complete after their phase time.

Known differences from real AWS
    * Only the batch step runs: no EC2 instance, bootstrap action, Jupyter or
      Zeppelin. Master DNS
      names (``ec2-127-0-X-Y.compute.localhost``) are unique per cluster but
      nothing answers on them. Bootstrap scripts are not run, LogUri gets no
      logs, failed steps carry no FailureDetails.
    * In server mode moto cannot tell the region from the endpoint URL, so
      every EMR call lands in its us-east-1 backend (ARNs and availability
      zones say us-east-1); S3 honours the bucket's LocationConstraint.
    * DescribeCluster (moto) and TerminateJobFlows (patched here) answer an
      unknown cluster id with AWS's InvalidRequestException; other EMR calls
      given one (ListSteps, AddJobFlowSteps, ...) still fail with moto's HTTP 500.
    * AddJobFlowSteps is accepted even on a terminated cluster (its steps stay
      PENDING), where AWS would refuse it.
    * Credentials, IAM, quotas and throttling are not checked; all state is in
      memory and goes when the process stops.
    * The patches reach into moto's EMR model classes and are written against
      moto 5.2.5 (a warning is logged for any other version).

The parts
    `config` (bucket names, timings), `seed` (buckets and their objects),
    `emr_patches` (what changes in moto), `lifecycle` (the clock),
    `job_steps` (batch steps, run for real), `server` (`LocalAWS`) and
    ``__main__`` (the command line).
"""

from localdev.aws.config import DEFAULT_REGION, DUMMY_CREDENTIALS, PINNED_MOTO_VERSION, Buckets, Timings
from localdev.aws.emr_patches import (
    TERMINAL_STATES,
    install_emr_patches,
    patched_emr,
    set_cluster_state,
    set_step_state,
    uninstall_emr_patches,
)
from localdev.aws.job_steps import BatchStepRunner, is_batch_step
from localdev.aws.lifecycle import EMRLifecycle, StepRunner, iter_emr_clusters
from localdev.aws.seed import SPARK_EMR_SEED, allow_public_reads, create_buckets, seed_spark_emr_bucket
from localdev.aws.server import LocalAWS

__all__ = [
    "DEFAULT_REGION",
    "DUMMY_CREDENTIALS",
    "PINNED_MOTO_VERSION",
    "SPARK_EMR_SEED",
    "TERMINAL_STATES",
    "BatchStepRunner",
    "Buckets",
    "EMRLifecycle",
    "LocalAWS",
    "StepRunner",
    "Timings",
    "allow_public_reads",
    "create_buckets",
    "install_emr_patches",
    "is_batch_step",
    "iter_emr_clusters",
    "patched_emr",
    "seed_spark_emr_bucket",
    "set_cluster_state",
    "set_step_state",
    "uninstall_emr_patches",
]
