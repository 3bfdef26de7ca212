"""The scripts EMR runs (emr/*.sh) as published: each reads every argument the provisioners pass."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from atmo.cluster_code import BATCH_KEY, BOOTSTRAP_KEY, ZEPPELIN_KEY, published_files
from atmo.clusters.provisioners import ClusterProvisioner
from atmo.jobs.provisioners import SparkJobProvisioner
from tests.aws import AWSStubs

SCRIPTS = {BOOTSTRAP_KEY: "bootstrap.sh", BATCH_KEY: "batch.sh", ZEPPELIN_KEY: "zeppelin.sh"}


def sent_job_flow(aws: AWSStubs) -> dict[str, Any]:
    """The RunJobFlow parameters the next request sends (the stubbed EMR answers j-1)."""
    sent: dict[str, Any] = {}
    aws.clients["emr"].meta.events.register(
        "provide-client-params.emr.RunJobFlow", lambda params, **kwargs: sent.update(params)
    )
    aws.add_spark_configuration()
    aws.emr.add_response("run_job_flow", {"JobFlowId": "j-1"}, None)
    return sent


def dry_run(tmp_path: Path, uri: str, args: list[str], *extra: str) -> str:
    """Run the published script behind ``uri`` with ``--dry-run``, as EMR would run it; its output."""
    key = uri.removeprefix("s3://atmo-spark-emr/")
    script = tmp_path / Path(key).name
    script.write_bytes(published_files()[key])  # fetched on its own, as EMR does: no lib.sh beside it
    done = subprocess.run(
        ["bash", str(script), *args, "--dry-run", *extra], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def steps(sent: dict[str, Any]) -> dict[str, list[str]]:
    return {step["Name"]: step["HadoopJarStep"]["Args"] for step in sent["Steps"]}


def test_the_batch_step_reads_every_argument_of_a_job_run(aws: AWSStubs, tmp_path: Path) -> None:
    sent = sent_job_flow(aws)
    parameters = {"run_date": "2026-12-07", "country": "it's DE"}
    SparkJobProvisioner().run(
        "alice", "alice@example.com", "daily-report", "7.1.0", 1, "jobs/daily-report/r.ipynb", False, 2,
        run_id=7, parameters=parameters,
    )  # fmt: skip
    [uri, *args] = steps(sent)["RunNotebookStep"]

    output = dry_run(tmp_path, uri, args)

    command = shlex.split(output.splitlines()[-1].removeprefix("would run:"))
    runner_args = command[command.index("atmo_runner") + 1 :]
    # Every argument (flag and value) is passed on to the runner as it came.
    assert dict(zip(runner_args[::2], runner_args[1::2], strict=True)) == dict(
        zip(args[::2], args[1::2], strict=True)
    )
    assert len(runner_args) == len(args) == 12
    assert command[:4] == [
        "timeout",
        "--kill-after=60",
        str(2 * 3600 - 15 * 60 + 300),
        "/mnt/atmo/venv/bin/python",
    ]


def test_the_batch_step_hands_the_runner_what_it_reads(tmp_path: Path) -> None:
    """The runner accepts the arguments the batch step passes (its own dry run)."""
    args = [
        "--job-identifier", "daily-report", "--run-id", "7", "--notebook-uri", "s3://c/jobs/r.ipynb",
        "--output-uri", "s3://d/daily-report/runs/7/", "--timeout-seconds", "6300",
        "--parameters-json", '{"run_date": "2026-12-07"}',
    ]  # fmt: skip
    command = shlex.split(dry_run(tmp_path, f"s3://atmo-spark-emr/{BATCH_KEY}", args).splitlines()[-1][10:])
    runner = subprocess.run(
        [sys.executable, "-m", "emr.atmo_runner", *command[command.index("atmo_runner") + 1 :], "--dry-run"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert runner.returncode == 0, runner.stderr
    assert "for at most 6300 seconds, for job daily-report, run 7" in runner.stdout


def test_the_bootstrap_action_reads_every_argument_of_a_job_run(aws: AWSStubs, tmp_path: Path) -> None:
    sent = sent_job_flow(aws)
    SparkJobProvisioner().run("alice", "alice@example.com", "daily-report", "7.1.0", 1, "k.ipynb", False, 2)
    [action] = sent["BootstrapActions"]

    output = dry_run(
        tmp_path, action["ScriptBootstrapAction"]["Path"], action["ScriptBootstrapAction"]["Args"], "--master"
    )

    assert (
        "would run: aws s3 cp --recursive --only-show-errors s3://atmo-spark-emr/runner/ /mnt/atmo/runner"
        in output
    )
    assert "--require-hashes -r /mnt/atmo/runner/requirements.txt" in output
    assert "-m atmo_runner.kernel --prefix /mnt/atmo/venv --with-spark" in output
    assert "would run: sudo shutdown -h +150" in output  # 120 minutes of timeout, then 30 of grace
    assert "jupyter" not in output  # a job run has no JupyterLab


def test_the_bootstrap_action_reads_every_argument_of_a_cluster(
    aws: AWSStubs, tmp_path: Path, live_setting: Any
) -> None:
    live_setting(AWS_EFS_DNS="fs-1.efs.example")
    sent = sent_job_flow(aws)
    ClusterProvisioner().start("alice", "alice.b@example.com", "curie", "7.1.0", 1, "ssh-ed25519 AAAA alice")
    [action] = sent["BootstrapActions"]

    output = dry_run(
        tmp_path, action["ScriptBootstrapAction"]["Path"], action["ScriptBootstrapAction"]["Args"], "--master"
    )

    assert "s3://atmo-spark-emr/runner/ /mnt/atmo/runner" in output
    assert "  | ssh-ed25519 AAAA alice" in output  # the public key
    assert "fs-1.efs.example:/ /mnt/efs" in output  # the EFS home…
    assert "sudo mkdir -p /mnt/efs/alice.b" in output  # …of the user named by the email
    assert "-r /mnt/atmo/runner/jupyterlab.txt" in output
    assert (
        "jupyter lab --no-browser --ip=127.0.0.1 --port=8888 --ServerApp.root_dir=/mnt/efs/alice.b" in output
    )
    assert "shutdown" not in output


def test_the_zeppelin_step_reads_every_argument(aws: AWSStubs, tmp_path: Path) -> None:
    sent = sent_job_flow(aws)
    SparkJobProvisioner().run("alice", "alice@example.com", "daily-report", "7.1.0", 1, "k.ipynb", False, 2)
    [uri, *args] = steps(sent)["setup-zeppelin"]

    output = dry_run(tmp_path, uri, args)

    assert "export PYSPARK_PYTHON=/mnt/atmo/venv/bin/python" in output
    assert "export ZEPPELIN_PORT=8890" in output  # where the cluster page's tunnel leads
    assert "would run: sudo systemctl restart zeppelin" in output


@pytest.mark.parametrize("key", SCRIPTS)
def test_a_script_refuses_an_argument_it_does_not_know(tmp_path: Path, key: str) -> None:
    script = tmp_path / "script.sh"
    script.write_bytes(published_files()[key])
    done = subprocess.run(
        ["bash", str(script), "--dry-run", "--colour", "blue"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "unknown argument: --colour" in done.stderr


def test_the_scripts_pass_shellcheck() -> None:
    emr = Path(__file__).resolve().parents[2] / "emr"
    done = subprocess.run(
        ["shellcheck", "-x", *sorted(str(p) for p in emr.glob("*.sh"))],
        capture_output=True,
        text=True,
        cwd=emr.parent,
    )
    assert done.returncode == 0, done.stdout
