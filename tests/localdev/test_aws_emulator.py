"""The local AWS emulator (localdev.aws): seeded S3, living EMR clusters, job results.

The server tests share one emulator on a free port, sped up by SPEED, and talk
to it with plain boto3 as the app does. The tick() tests drive EMRLifecycle
with fake times over a private moto backend: no sleeping, and no state shared
with the server. Nothing here touches Django or a database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.emr.exceptions import InvalidCluster
from moto.emr.models import Cluster, ElasticMapReduceBackend, Step

from atmo.cluster_code import published_files
from localdev.aws import (
    SPARK_EMR_SEED,
    Buckets,
    EMRLifecycle,
    LocalAWS,
    Timings,
    is_batch_step,
    patched_emr,
)
from localdev.aws.emr_patches import IDLE_REASON_MESSAGE, IDLE_TIMEOUT_ATTR
from tests.emr.conftest import runner_kernel  # noqa: F401 (the kernel the batch steps run with)
from tests.emr.notebooks import FAILING_IN_CELL_3, jupyter

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-west-2"
SPEED = 0.2  # phases of 0.6-1.0 s: quick, yet long enough to observe each state
JAR = "s3://us-west-2.elasticmapreduce/libs/script-runner/script-runner.jar"
ZEPPELIN_ARGS = ["s3://atmo-spark-emr/steps/zeppelin/zeppelin.sh"]


def job_args(job: str, notebook: str, run_id: int = 1, timeout_seconds: int = 600) -> list[str]:
    """The Args the Spark job provisioner gives its batch step."""
    return [
        "s3://atmo-spark-emr/steps/batch.sh",
        "--job-identifier",
        job,
        "--run-id",
        str(run_id),
        "--notebook-uri",
        notebook,
        "--output-uri",
        f"s3://atmo-public-data/{job}/runs/{run_id}/",
        "--timeout-seconds",
        str(timeout_seconds),
        "--parameters-json",
        json.dumps({"run_date": "2026-12-07"}),
    ]


def api_step(name: str, args: list[str], action: str = "TERMINATE_JOB_FLOW") -> dict[str, Any]:
    return {"Name": name, "ActionOnFailure": action, "HadoopJarStep": {"Jar": JAR, "Args": args}}


def run_job_flow_params(name: str, *, keep_alive: bool, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """RunJobFlow parameters shaped like the provisioners' (master instance group, no subnet)."""
    master = {
        "Name": "Master",
        "Market": "ON_DEMAND",
        "InstanceRole": "MASTER",
        "InstanceType": "c3.4xlarge",
        "InstanceCount": 1,
    }
    return {
        "Name": name,
        "LogUri": f"s3://atmo-logs/clusters/{name}/2026-01-01T00:00:00+00:00",
        "ReleaseLabel": "emr-5.2.1",
        "Instances": {"InstanceGroups": [master], "KeepJobFlowAliveWhenNoSteps": keep_alive},
        "Applications": [{"Name": "Spark"}, {"Name": "Hive"}, {"Name": "Zeppelin"}],
        "JobFlowRole": "atmo-spark-instance-profile",
        "ServiceRole": "EMR_DefaultRole",
        "VisibleToAllUsers": True,
        "Steps": steps,
    }


def watch(read_state: Callable[[], str], until: str, timeout: float = 15.0) -> list[str]:
    """Poll ``read_state`` until it returns ``until``; return the distinct states seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_state()
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == until:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"never reached {until}; saw {seen}")


def described_state(emr: Any, cluster_id: str) -> Callable[[], str]:
    return lambda: emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]


def listed(emr: Any, cluster_id: str, states: list[str] | None = None) -> dict[str, Any] | None:
    """The cluster's ListClusters summary (optionally filtered by state), or None."""
    params = {"ClusterStates": states} if states else {}
    summaries = emr.get_paginator("list_clusters").paginate(**params).build_full_result()["Clusters"]
    return next((summary for summary in summaries if summary["Id"] == cluster_id), None)


def client_for(endpoint_url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[None]:
    """Replaces the suite-wide Redis flush: the emulator needs neither Redis nor Django."""
    yield


# --- against the running emulator ----------------------------------------------


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAWS]:
    with LocalAWS("127.0.0.1", 0, speed=SPEED, buckets=Buckets(), region=REGION) as aws:
        yield aws


@pytest.fixture
def emr(local_aws: LocalAWS) -> Any:
    return client_for(local_aws.endpoint_url, "emr")


@pytest.fixture
def s3(local_aws: LocalAWS) -> Any:
    return client_for(local_aws.endpoint_url, "s3")


def test_it_creates_the_buckets_and_seeds_the_spark_emr_one(local_aws: LocalAWS, s3: Any) -> None:
    names = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    assert set(Buckets().names()) <= names
    for key in SPARK_EMR_SEED:
        s3.head_object(Bucket="atmo-spark-emr", Key=key)
    # The real emr/ scripts and runner, as `manage.py publish_emr_code` publishes them.
    for key, body in published_files().items():
        assert s3.get_object(Bucket="atmo-spark-emr", Key=key)["Body"].read() == body
    # The provisioners fetch the shared configuration with a plain HTTP GET.
    url = f"{local_aws.endpoint_url}/atmo-spark-emr/configuration/configuration.json"
    with urllib.request.urlopen(url) as response:  # noqa: S310 (a local http URL we built)
        configuration = json.load(response)
    assert configuration[0]["Classification"] == "spark"


def anonymous_get_status(url: str) -> int:
    """The HTTP status of a GET without credentials, as a browser following a link sends it."""
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 (a local http URL we built)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_public_results_are_readable_by_anyone_and_private_ones_are_not(local_aws: LocalAWS, s3: Any) -> None:
    # What a public result link (ATMO_PUBLIC_DATA_URL + key) needs in a local run, as in AWS.
    key = "some-job/data/20260101T000000Z/report.ipynb"
    for bucket in ("atmo-public-data", "atmo-private-data"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")

    assert anonymous_get_status(f"{local_aws.endpoint_url}/atmo-public-data/{key}") == 200
    assert anonymous_get_status(f"{local_aws.endpoint_url}/atmo-private-data/{key}") == 403


def test_a_kept_alive_cluster_starts_bootstraps_and_waits_with_its_own_master_dns(emr: Any) -> None:
    params = run_job_flow_params(
        "cluster", keep_alive=True, steps=[api_step("setup-zeppelin", ZEPPELIN_ARGS)]
    )
    first = emr.run_job_flow(**params)["JobFlowId"]
    second = emr.run_job_flow(**params)["JobFlowId"]
    starting = emr.describe_cluster(ClusterId=first)["Cluster"]
    assert "MasterPublicDnsName" not in starting
    assert "ReadyDateTime" not in starting["Status"]["Timeline"]

    assert watch(described_state(emr, first), "WAITING") == [
        "STARTING",
        "BOOTSTRAPPING",
        "RUNNING",
        "WAITING",
    ]
    watch(described_state(emr, second), "WAITING")

    clusters = [emr.describe_cluster(ClusterId=cid)["Cluster"] for cid in (first, second)]
    assert all("EndDateTime" not in cluster["Status"]["Timeline"] for cluster in clusters)
    assert clusters[0]["MasterPublicDnsName"] != clusters[1]["MasterPublicDnsName"]
    summary = listed(emr, first, ["WAITING"])
    assert summary is not None
    assert (
        summary["Status"]["Timeline"]["ReadyDateTime"] == clusters[0]["Status"]["Timeline"]["ReadyDateTime"]
    )
    step = emr.list_steps(ClusterId=first)["Steps"][0]
    assert step["Status"]["State"] == "COMPLETED"
    emr.terminate_job_flows(JobFlowIds=[first, second])


def test_terminating_a_cluster_takes_a_while_and_records_the_user_request(emr: Any) -> None:
    cluster_id = emr.run_job_flow(**run_job_flow_params("short", keep_alive=True, steps=[]))["JobFlowId"]
    watch(described_state(emr, cluster_id), "WAITING")

    emr.terminate_job_flows(JobFlowIds=[cluster_id])

    status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
    assert status["State"] == "TERMINATING"
    assert status["StateChangeReason"]["Code"] == "USER_REQUEST"
    assert "EndDateTime" not in status["Timeline"]
    assert watch(described_state(emr, cluster_id), "TERMINATED") == ["TERMINATING", "TERMINATED"]
    summary = listed(emr, cluster_id, ["TERMINATED"])
    assert summary is not None
    assert "EndDateTime" in summary["Status"]["Timeline"]
    assert summary["Status"]["StateChangeReason"]["Code"] == "USER_REQUEST"


def test_the_auto_termination_policy_ends_an_idle_cluster_and_listing_counts_its_hours(emr: Any) -> None:
    params = run_job_flow_params("idle", keep_alive=True, steps=[])
    params["AutoTerminationPolicy"] = {"IdleTimeout": 60}  # 0.2 s at SPEED
    cluster_id = emr.run_job_flow(**params)["JobFlowId"]

    assert watch(described_state(emr, cluster_id), "TERMINATED")[-3:] == [
        "WAITING",
        "TERMINATING",
        "TERMINATED",
    ]
    summary = listed(emr, cluster_id)
    assert summary is not None
    assert summary["Status"]["StateChangeReason"]["Code"] == "ALL_STEPS_COMPLETED"
    assert summary["NormalizedInstanceHours"] == 32  # one c3.4xlarge, for less than an hour


def test_terminating_an_unknown_cluster_is_an_invalid_request(emr: Any) -> None:
    with pytest.raises(ClientError) as raised:
        emr.terminate_job_flows(JobFlowIds=["j-DOESNOTEXIST"])
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    assert error["Message"] == "Cluster id 'j-DOESNOTEXIST' is not valid."


def run_notebook_job(
    emr: Any, s3: Any, job: str, notebook: bytes, timeout_seconds: int = 600
) -> tuple[str, list[str]]:
    """Upload ``notebook``, start a job cluster that runs it, wait for its end; its id and states seen."""
    s3.put_object(Bucket="atmo-code", Key=f"jobs/{job}/report.ipynb", Body=notebook)
    steps = [
        api_step("setup-zeppelin", ZEPPELIN_ARGS),
        api_step(
            "RunNotebookStep",
            job_args(job, f"s3://atmo-code/jobs/{job}/report.ipynb", timeout_seconds=timeout_seconds),
        ),
    ]
    params = run_job_flow_params(job, keep_alive=False, steps=steps)
    cluster_id = emr.run_job_flow(**params)["JobFlowId"]
    states = ["TERMINATED", "TERMINATED_WITH_ERRORS"]

    def listed_state() -> str:
        summary = listed(emr, cluster_id)
        assert summary is not None
        state = summary["Status"]["State"]
        return "ENDED" if state in states else state

    seen = watch(listed_state, "ENDED", timeout=180)
    return cluster_id, seen


def outputs(s3: Any, job: str) -> dict[str, bytes]:
    prefix = f"{job}/runs/1/"
    listing = s3.list_objects_v2(Bucket="atmo-public-data", Prefix=prefix).get("Contents", [])
    return {
        item["Key"].removeprefix(prefix): s3.get_object(Bucket="atmo-public-data", Key=item["Key"])[
            "Body"
        ].read()
        for item in listing
    }


def test_a_job_cluster_really_runs_its_pyspark_notebook_and_leaves_its_outputs(emr: Any, s3: Any) -> None:
    notebook = jupyter("print('count:', spark.range(10).count())", "print('date:', run_date)")

    cluster_id, seen = run_notebook_job(emr, s3, "nightly", notebook)

    assert seen == ["STARTING", "BOOTSTRAPPING", "RUNNING", "TERMINATING", "ENDED"]
    status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"]["Code"]) == ("TERMINATED", "ALL_STEPS_COMPLETED")
    assert {"ReadyDateTime", "EndDateTime"} <= status["Timeline"].keys()
    assert [step["Status"]["State"] for step in emr.list_steps(ClusterId=cluster_id)["Steps"]] == [
        "COMPLETED",
        "COMPLETED",
    ]
    files = outputs(s3, "nightly")
    assert sorted(files) == ["log.txt", "notebook.html", "notebook.ipynb", "outcome.json"]
    outcome = json.loads(files["outcome.json"])
    assert outcome["status"] == "succeeded"
    assert outcome["parameters"]["output_location"] == "s3://atmo-public-data/nightly/runs/1/"
    assert b"count: 10" in files["notebook.ipynb"]
    assert b"date: 2026-12-07" in files["notebook.html"]


def test_a_failing_notebook_fails_its_step_and_ends_the_cluster_with_errors(emr: Any, s3: Any) -> None:
    cluster_id, _ = run_notebook_job(emr, s3, "broken", FAILING_IN_CELL_3)

    status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"]["Code"]) == (
        "TERMINATED_WITH_ERRORS",
        "STEP_FAILURE",
    )
    states = {step["Name"]: step["Status"]["State"] for step in emr.list_steps(ClusterId=cluster_id)["Steps"]}
    assert states == {"setup-zeppelin": "COMPLETED", "RunNotebookStep": "FAILED"}
    failure = json.loads(outputs(s3, "broken")["outcome.json"])["failure"]
    assert (failure["cell_index"], failure["exception"]) == (3, "ZeroDivisionError")


def test_a_hanging_notebook_is_stopped_at_its_timeout_and_fails_its_step(emr: Any, s3: Any) -> None:
    notebook = jupyter("print('started', flush=True)", "import time\ntime.sleep(3600)")

    cluster_id, _ = run_notebook_job(emr, s3, "stuck", notebook, timeout_seconds=5)

    status = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"]["Code"]) == (
        "TERMINATED_WITH_ERRORS",
        "STEP_FAILURE",
    )
    files = outputs(s3, "stuck")
    outcome = json.loads(files["outcome.json"])
    assert outcome["status"] == "timed_out"
    assert outcome["failure"]["cell_index"] == 2
    assert b"started" in files["notebook.ipynb"]  # the partial output is kept


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_cli_logs_each_state_change_and_stops_cleanly_on_sigterm() -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "localdev.aws", "--port", str(port), "--speed", "0.05"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        emr = client_for(f"http://127.0.0.1:{port}", "emr")
        started = _when_up(lambda: emr.run_job_flow(**run_job_flow_params("cli", keep_alive=True, steps=[])))
        cluster_id = started["JobFlowId"]
        watch(described_state(emr, cluster_id), "WAITING")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert f"{cluster_id}: STARTING -> BOOTSTRAPPING" in stderr
    assert f"{cluster_id}: BOOTSTRAPPING -> WAITING" in stderr


def _when_up(call: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``call()``'s result once the freshly started server accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# --- tick() with fake times ----------------------------------------------------------

T0 = datetime(2026, 1, 1, 12, 0, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def model_step(name: str, args: list[str], action: str = "TERMINATE_JOB_FLOW") -> dict[str, Any]:
    """A step as moto's backend receives it from the RunJobFlow parser."""
    return {"name": name, "action_on_failure": action, "hadoop_jar_step": {"Jar": JAR, "Args": args}}


@pytest.fixture
def backend() -> Iterator[ElasticMapReduceBackend]:
    """A moto EMR backend of our own (not in moto's registry), with the lifecycle patches."""
    with patched_emr():
        yield ElasticMapReduceBackend(region_name="eu-west-3", account_id="000000000000")


@pytest.fixture
def finished_steps() -> list[tuple[Step, datetime]]:
    return []


@pytest.fixture
def lifecycle(backend: ElasticMapReduceBackend, finished_steps: list[tuple[Step, datetime]]) -> EMRLifecycle:
    return EMRLifecycle(
        Timings(),
        clusters=lambda: backend.clusters.values(),
        on_step_finished=lambda step, when: finished_steps.append((step, when)),
    )


def new_cluster(
    backend: ElasticMapReduceBackend, *, keep_alive: bool, steps: list[dict[str, Any]] | None = None
) -> Cluster:
    instance_attrs = {
        "master_instance_type": "c3.4xlarge",
        "instance_count": 1,
        "keep_job_flow_alive_when_no_steps": keep_alive,
        "ec2_subnet_id": None,
        "emr_managed_master_security_group": None,
        "emr_managed_slave_security_group": None,
        "service_access_security_group": None,
    }
    return backend.run_job_flow(
        name="fake-time",
        log_uri=None,
        job_flow_role="role",
        service_role="EMR_DefaultRole",
        steps=steps or [],
        instance_attrs=instance_attrs,
    )


def test_tick_moves_a_kept_alive_cluster_to_waiting_on_schedule(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    cluster = new_cluster(backend, keep_alive=True)
    expected = [
        (0, "STARTING"),
        (2.9, "STARTING"),
        (3, "BOOTSTRAPPING"),
        (7.9, "BOOTSTRAPPING"),
        (8, "WAITING"),
    ]
    for seconds, state in expected:
        lifecycle.tick(at(seconds))
        assert cluster.state == state, seconds

    lifecycle.tick(at(1000))
    assert cluster.state == "WAITING"
    assert cluster.ready_datetime == at(8)
    assert cluster.end_datetime is None
    assert cluster.master_public_dns_name.endswith(".compute.localhost")
    assert [group.state for group in cluster.instance_groups] == ["RUNNING"]


def test_every_cluster_gets_its_own_master_dns_name(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    clusters = [new_cluster(backend, keep_alive=True) for _ in range(3)]
    assert {cluster.master_public_dns_name for cluster in clusters} == {None}
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))
    assert len({cluster.master_public_dns_name for cluster in clusters}) == 3


def test_one_late_tick_catches_up_a_whole_job_cluster_with_due_times(
    backend: ElasticMapReduceBackend,
    lifecycle: EMRLifecycle,
    finished_steps: list[tuple[Step, datetime]],
) -> None:
    steps = [model_step("setup-zeppelin", ZEPPELIN_ARGS), model_step("run", job_args("x", "s3://c/x.ipynb"))]
    cluster = new_cluster(backend, keep_alive=False, steps=steps)
    lifecycle.tick(at(0))
    lifecycle.tick(at(60))

    assert cluster.state == "TERMINATED"
    assert cluster.status["StateChangeReason"]["Code"] == "ALL_STEPS_COMPLETED"
    assert (cluster.ready_datetime, cluster.end_datetime) == (at(8), at(17))
    timeline = [(step.state, step.start_date_time, step.end_date_time) for step in cluster.steps]
    assert timeline == [("COMPLETED", at(8), at(11)), ("COMPLETED", at(11), at(14))]
    assert [(step.name, when) for step, when in finished_steps] == [
        ("setup-zeppelin", at(11)),
        ("run", at(14)),
    ]


class FakeRunner:
    """Runs the batch steps in name only: each ends with the exit status the test sets."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.stopped: list[str] = []
        self.statuses: dict[str, int] = {}

    def runs(self, step: Step) -> bool:
        return is_batch_step(list(step.args))

    def start(self, step: Step) -> None:
        self.started.append(step.name)

    def exit_status(self, step: Step) -> int | None:
        return self.statuses.get(step.name) if step.name in self.started else None

    def stop(self, step: Step) -> None:
        self.stopped.append(step.name)


@pytest.fixture
def runner(lifecycle: EMRLifecycle) -> FakeRunner:
    lifecycle.step_runner = runner = FakeRunner()
    return runner


def test_a_batch_step_runs_until_its_process_ends_and_completes_with_status_0(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle, runner: FakeRunner
) -> None:
    steps = [model_step("setup-zeppelin", ZEPPELIN_ARGS), model_step("run", job_args("x", "s3://c/x.ipynb"))]
    cluster = new_cluster(backend, keep_alive=False, steps=steps)
    lifecycle.tick(at(0))
    lifecycle.tick(at(12))
    assert runner.started == ["run"]
    lifecycle.tick(at(3600))
    assert [step.state for step in cluster.steps] == ["COMPLETED", "RUNNING"]

    runner.statuses["run"] = 0
    lifecycle.tick(at(3601))

    assert [step.state for step in cluster.steps] == ["COMPLETED", "COMPLETED"]
    assert cluster.steps[1].end_date_time == at(3601)
    assert runner.stopped == ["run"]  # told, so that it can clean up
    lifecycle.tick(at(3700))
    assert (cluster.state, cluster.status["StateChangeReason"]["Code"]) == (
        "TERMINATED",
        "ALL_STEPS_COMPLETED",
    )


def test_a_failing_step_ends_the_cluster_with_errors_and_cancels_the_rest(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle, runner: FakeRunner
) -> None:
    steps = [model_step("boom", job_args("x", "s3://c/x.ipynb")), model_step("next", ZEPPELIN_ARGS)]
    cluster = new_cluster(backend, keep_alive=True, steps=steps)
    runner.statuses["boom"] = 1
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))
    lifecycle.tick(at(9))
    lifecycle.tick(at(60))

    assert cluster.state == "TERMINATED_WITH_ERRORS"
    assert cluster.status["StateChangeReason"]["Code"] == "STEP_FAILURE"
    assert [step.state for step in cluster.steps] == ["FAILED", "CANCELLED"]


def test_a_hanging_batch_step_runs_until_its_cluster_is_terminated_and_is_then_stopped(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle, runner: FakeRunner
) -> None:
    steps = [
        model_step("setup-zeppelin", ZEPPELIN_ARGS),
        model_step("run", job_args("x", "s3://c/report.ipynb")),
    ]
    cluster = new_cluster(backend, keep_alive=False, steps=steps)
    lifecycle.tick(at(0))
    lifecycle.tick(at(3600))
    assert cluster.state == "RUNNING"
    assert [step.state for step in cluster.steps] == ["COMPLETED", "RUNNING"]

    backend.terminate_job_flows([cluster.id])
    lifecycle.tick(at(3601))
    assert runner.stopped == []
    lifecycle.tick(at(3700))
    assert cluster.state == "TERMINATED"
    assert [step.state for step in cluster.steps] == ["COMPLETED", "CANCELLED"]
    assert runner.stopped == ["run"]  # its processes are ended


def test_a_failing_step_with_continue_lets_the_next_steps_run(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle, runner: FakeRunner
) -> None:
    steps = [
        model_step("boom", job_args("x", "s3://c/x.ipynb"), action="CONTINUE"),
        model_step("next", ZEPPELIN_ARGS),
    ]
    cluster = new_cluster(backend, keep_alive=False, steps=steps)
    runner.statuses["boom"] = 1
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))
    lifecycle.tick(at(9))
    lifecycle.tick(at(60))

    assert [step.state for step in cluster.steps] == ["FAILED", "COMPLETED"]
    assert cluster.state == "TERMINATED"


def test_terminate_job_flows_passes_through_terminating(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    cluster = new_cluster(backend, keep_alive=True)
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))

    backend.terminate_job_flows([cluster.id])

    assert cluster.state == "TERMINATING"
    assert cluster.status["StateChangeReason"]["Code"] == "USER_REQUEST"
    lifecycle.tick(at(20))  # the lifecycle notices the request here
    lifecycle.tick(at(22.9))
    assert (cluster.state, cluster.end_datetime) == ("TERMINATING", None)
    lifecycle.tick(at(23))
    assert (cluster.state, cluster.end_datetime) == ("TERMINATED", at(23))
    assert cluster.status["StateChangeReason"]["Code"] == "USER_REQUEST"


def test_terminating_an_unknown_id_raises_invalid_cluster(backend: ElasticMapReduceBackend) -> None:
    with pytest.raises(InvalidCluster):
        backend.terminate_job_flows(["j-NOPE"])


def test_a_step_added_to_a_waiting_cluster_runs_from_the_next_tick(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    cluster = new_cluster(backend, keep_alive=True)
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))

    (step,) = backend.add_job_flow_steps(cluster.id, [model_step("late", ZEPPELIN_ARGS)])
    assert (cluster.state, step.state) == ("WAITING", "PENDING")

    lifecycle.tick(at(30))
    assert (cluster.state, step.state, step.start_date_time) == ("RUNNING", "RUNNING", at(30))
    lifecycle.tick(at(33))
    assert (cluster.state, step.state) == ("WAITING", "COMPLETED")


def test_an_idle_cluster_ends_after_its_idle_timeout_on_the_compressed_clock(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    cluster = new_cluster(backend, keep_alive=True)
    setattr(cluster, IDLE_TIMEOUT_ATTR, 2 * 3600)  # two hours: 120 s at Timings().hour == 60
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))
    lifecycle.tick(at(8 + 119.9))
    assert cluster.state == "WAITING"

    lifecycle.tick(at(8 + 120))
    assert cluster.state == "TERMINATING"
    lifecycle.tick(at(8 + 123))
    assert cluster.state == "TERMINATED"
    assert cluster.end_datetime == at(8 + 123)
    reason = cluster.status["StateChangeReason"]
    assert reason == {"Code": "ALL_STEPS_COMPLETED", "Message": IDLE_REASON_MESSAGE}


def test_a_step_restarts_the_idle_clock(backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle) -> None:
    cluster = new_cluster(backend, keep_alive=True)
    setattr(cluster, IDLE_TIMEOUT_ATTR, 3600)  # 60 s
    lifecycle.tick(at(0))
    lifecycle.tick(at(8))
    backend.add_job_flow_steps(cluster.id, [model_step("late", ZEPPELIN_ARGS)])
    lifecycle.tick(at(50))  # the step runs 50-53: idle again from 53
    lifecycle.tick(at(53 + 59))
    assert cluster.state == "WAITING"
    lifecycle.tick(at(53 + 60))
    assert cluster.state == "TERMINATING"


def test_a_cluster_without_an_idle_timeout_waits_for_ever(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    cluster = new_cluster(backend, keep_alive=True)
    lifecycle.tick(at(0))
    lifecycle.tick(at(8 + 7 * 24 * 60))
    assert cluster.state == "WAITING"


def test_normalized_instance_hours_grow_with_every_started_hour_and_stop_at_the_end(
    backend: ElasticMapReduceBackend, lifecycle: EMRLifecycle
) -> None:
    cluster = new_cluster(backend, keep_alive=True)  # one c3.4xlarge: 32 per hour
    lifecycle.tick(at(0))
    assert cluster.normalized_instance_hours == 0
    lifecycle.tick(at(1))
    assert cluster.normalized_instance_hours == 32
    lifecycle.tick(at(60))
    assert cluster.normalized_instance_hours == 32
    lifecycle.tick(at(61))
    assert cluster.normalized_instance_hours == 64
    backend.terminate_job_flows([cluster.id])
    lifecycle.tick(at(62))
    lifecycle.tick(at(500))
    assert cluster.state == "TERMINATED"
    assert cluster.normalized_instance_hours == 64  # ended at 65 s: two started hours, not nine


def test_nested_patches_are_undone_by_the_outermost_block() -> None:
    before = Cluster.__dict__["add_steps"]
    with patched_emr():
        patched = Cluster.__dict__["add_steps"]
        with patched_emr():
            pass
        assert Cluster.__dict__["add_steps"] is patched
    assert Cluster.__dict__["add_steps"] is before


# --- small pure parts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "is_batch"),
    [
        (job_args("x", "s3://c/jobs/x/report.ipynb"), True),
        (ZEPPELIN_ARGS, False),
        (["/local/steps/batch.sh"], False),
        ([], False),
    ],
)
def test_batch_steps_are_told_by_their_script(args: list[str], is_batch: bool) -> None:
    assert is_batch_step(args) is is_batch


def test_buckets_come_from_the_environment_with_the_settings_defaults() -> None:
    buckets = Buckets.from_env({"AWS_CODE_BUCKET": "my-code", "AWS_LOG_BUCKET": ""})
    assert buckets == Buckets(code="my-code")
    assert buckets.names() == (
        "my-code",
        "atmo-public-data",
        "atmo-private-data",
        "atmo-logs",
        "atmo-spark-emr",
    )


def test_timings_scale_with_speed() -> None:
    assert Timings().scaled(0.5) == Timings(
        starting=1.5, bootstrapping=2.5, step=1.5, terminating=1.5, hour=30.0
    )
    with pytest.raises(ValueError):
        Timings().scaled(0)
