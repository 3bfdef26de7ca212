"""The AWS seam: every boto3 client of ATMO is made here.

Assumed on the AWS side (see the deployment docs):

* the EMR roles ``EMR_DefaultRole`` (service) and the instance profile named by
  the live setting ``AWS_SPARK_INSTANCE_PROFILE`` (job flow role);
* the S3 buckets of ``settings.AWS_CONFIG`` (code, public and private results,
  logs) and the live setting ``AWS_SPARK_EMR_BUCKET`` holding what
  ``manage.py publish_emr_code`` puts there from ``emr/`` (``bootstrap/telemetry.sh``,
  ``steps/zeppelin/zeppelin.sh``, ``steps/batch.sh``, ``runner/``; see
  :mod:`atmo.cluster_code`) and ``configuration/configuration.json``
  (https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-configure-apps.html);
* release labels ``emr-<version>`` for the EMR releases in the admin
  (https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-release-components.html).

``AWS_ENDPOINT_URL`` (read by boto3 itself) points every client at the local
emulator in development; nothing here knows the difference.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from constance import config as live
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from atmo.cluster_code import BOOTSTRAP_KEY, RUNNER_PREFIX, ZEPPELIN_KEY
from atmo.monitoring import aws as aws_metrics

logger = logging.getLogger(__name__)

#: Error codes AWS uses when it wants the caller to slow down.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)


class AWSError(Exception):
    """AWS refused or failed a request; ``message`` is fit to show to a user."""

    def __init__(self, message: str, code: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.operation = operation

    @property
    def is_throttling(self) -> bool:
        return self.code in THROTTLING_CODES

    @classmethod
    def from_client_error(cls, exc: ClientError) -> AWSError:
        """The error of a botocore ``ClientError``, with AWS's message, code and operation.

        An :class:`AWSThrottled` when AWS asked us to slow down.
        """
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        kind = AWSThrottled if code in THROTTLING_CODES else cls
        return kind(
            message=error.get("Message") or str(exc),
            code=code,
            operation=getattr(exc, "operation_name", ""),
        )


class AWSThrottled(AWSError):
    """AWS asked us to slow down: the same call will likely work a little later."""


class AWSUnreachable(AWSError):
    """AWS could not be reached (no connection, a timeout): the same call may work later."""


#: The errors worth the same call again later; any other AWSError is AWS's answer.
TRANSIENT_AWS_ERRORS = (AWSThrottled, AWSUnreachable)


def is_transient(exc: AWSError) -> bool:
    return exc.is_throttling or isinstance(exc, AWSUnreachable)


#: How the message of an :class:`AWSUnreachable` starts; botocore's words follow.
UNREACHABLE = "AWS could not be reached: "


@contextmanager
def aws_errors(on_client_error: Callable[[AWSError], AWSError] | None = None) -> Iterator[None]:
    """Turn botocore's errors into :class:`AWSError` (:class:`AWSUnreachable` for no connection).

    ``on_client_error`` may swap AWS's refusal for a more precise error.
    """
    try:
        yield
    except ClientError as exc:
        error = AWSError.from_client_error(exc)
        raise (on_client_error(error) if on_client_error else error) from exc
    except BotoCoreError as exc:
        raise AWSUnreachable(f"{UNREACHABLE}{exc}") from exc


#: The advice when the same call may well work a little later.
TRY_AGAIN_SOON = "Please try again in a minute."
#: The advice when AWS refused: asking again may not help, and someone should know.
TELL_THE_TEAM = "Please try again, and tell the ATMO team if it keeps failing."


@dataclass(frozen=True)
class AWSFailure:
    """An AWS error in words: what failed and why (the sentence), and what to do (the advice)."""

    sentence: str
    advice: str

    def __str__(self) -> str:
        return f"{self.sentence} {self.advice}".strip()


def describe_aws_failure(
    exc: AWSError, what_failed: str, outcome: str = "", advice: str | None = None
) -> AWSFailure:
    """Say in words what failed, why, what it left behind and what to do; for pages, admin and mail.

    ``what_failed`` names the action, e.g. "The cluster could not be terminated";
    ``outcome`` says what that left, e.g. "Nothing was changed.". The advice
    depends on the error unless ``advice`` is given (a mail, say, has its own).
    Plain text: templates escape it.
    """
    detail = exc.message.strip().removeprefix(UNREACHABLE).rstrip(".")
    if exc.is_throttling:
        why = f"AWS is busy and asked us to slow down ({detail})"
    elif isinstance(exc, AWSUnreachable):
        why = f"AWS could not be reached ({detail})"
    elif exc.code:
        why = f"AWS refused ({detail})"
    else:
        why = detail  # not AWS's answer but ours about it (e.g. a malformed file in S3)
    sentence = " ".join(filter(None, [f"{what_failed}: {why}.", outcome]))
    if advice is None:
        advice = TRY_AGAIN_SOON if is_transient(exc) else TELL_THE_TEAM
    return AWSFailure(sentence, advice)


class JobFlowNotFound(AWSError):
    """EMR does not know (or no longer knows) the job flow."""


#: EMR's answer when asked about a job flow id it does not know.
UNKNOWN_JOB_FLOW_CODES = frozenset({"InvalidRequestException", "ValidationException"})


def unknown_job_flow(error: AWSError) -> AWSError:
    """EMR's "not a valid cluster id" as :class:`JobFlowNotFound`; any other refusal as it is."""
    if error.code in UNKNOWN_JOB_FLOW_CODES and "not valid" in error.message.lower():
        return JobFlowNotFound(error.message, code=error.code, operation=error.operation)
    return error


@dataclass(frozen=True)
class JobFlowInfo:
    """What EMR says about one job flow (a cluster, or the cluster of a job run)."""

    jobflow_id: str
    state: str
    creation_datetime: datetime | None
    ready_datetime: datetime | None
    end_datetime: datetime | None
    state_change_reason_code: str | None
    state_change_reason_message: str | None
    public_dns: str | None = None
    #: Instance hours times the types' normalization factors so far, as EMR counts them for billing.
    normalized_instance_hours: int | None = None

    def __getitem__(self, key: str) -> Any:
        # Dict-style access, as the original API returned dicts.
        return getattr(self, key)


def is_throttling(exc: BaseException) -> bool:
    """Whether ``exc`` is AWS asking us to back off (a retry will likely succeed)."""
    if isinstance(exc, AWSError):
        return exc.is_throttling
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in THROTTLING_CODES
    return False


#: Seconds to wait for a connection to AWS, and for each answer once connected.
#: botocore's default of 60 s each, times 3 attempts, would hold the cluster row
#: lock in ``Cluster.provision()`` for minutes, and with it a user's "Terminate
#: now" request waiting on that lock. A slow AWS becomes AWSUnreachable instead,
#: which the tasks retry later. (Candidates for settings, AWS_CONNECT_TIMEOUT and
#: AWS_READ_TIMEOUT, should an operator ever need to tune them.)
AWS_CONNECT_TIMEOUT = 5
AWS_READ_TIMEOUT = 20


#: The clients made so far, one per :func:`client_key` (see :func:`client`).
_clients: dict[tuple[Any, ...], Any] = {}
#: Held while a client is made: boto3's default session, which makes them, is not thread-safe.
_clients_lock = threading.Lock()


def client_key(service: str, single_attempt: bool) -> tuple[Any, ...]:
    """What a client made by :func:`client` depends on, besides the constants of this module.

    The region comes from the settings; the endpoint (``AWS_ENDPOINT_URL``,
    ``AWS_ENDPOINT_URL_S3``…), the credentials and the profile from ``AWS_*``
    variables that boto3 reads when it makes the client. The process id keeps a
    forked child (a Celery prefork worker) off its parent's clients and their
    connection pools, should a fork ever escape :func:`forget_clients_after_fork`.
    """
    environment = tuple(
        sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_"))
    )
    return (
        os.getpid(),
        service,
        single_attempt,
        settings.AWS_CONFIG["AWS_REGION"],
        AWS_CONNECT_TIMEOUT,
        AWS_READ_TIMEOUT,
        environment,
    )


def client(service: str, single_attempt: bool = False) -> Any:
    """A boto3 client in the configured region, with short timeouts; one per kind and process.

    botocore's own retries are kept few ("standard" mode): longer waits belong to
    Celery's jittered backoff, which does not hold a worker while waiting.
    ``single_attempt`` turns them off, for requests that must never be sent twice
    blindly (RunJobFlow: see :meth:`Provisioner.start_job_flow`).

    Making a client costs ~20 ms (botocore loads the service's model and endpoint
    rules), and a page may need several: each kind is made once per process and
    shared, as boto3 clients are thread-safe. :func:`forget_clients` drops them.
    """
    key = client_key(service, single_attempt)
    made = _clients.get(key)
    if made is None:
        with _clients_lock:
            made = _clients.get(key)
            if made is None:
                made = _clients[key] = _make_client(service, single_attempt)
    return made


def _make_client(service: str, single_attempt: bool) -> Any:
    config = Config(
        retries={"total_max_attempts": 1 if single_attempt else 3, "mode": "standard"},
        connect_timeout=AWS_CONNECT_TIMEOUT,
        read_timeout=AWS_READ_TIMEOUT,
    )
    if service == "s3":
        # Signature v4: presigned links then carry their expiry explicitly.
        config = config.merge(Config(signature_version="s3v4"))
    made = boto3.client(service, region_name=settings.AWS_CONFIG["AWS_REGION"], config=config)
    # Counts calls and errors by operation (atmo_aws_* metrics); once per client made, so once per call.
    return aws_metrics.instrument(made)


def forget_clients() -> None:
    """Drop the shared clients: the next :func:`client` call makes a new one (tests, after a fork)."""
    with _clients_lock:
        _clients.clear()


def forget_clients_after_fork() -> None:
    """In a forked child: no client of the parent (their connections are the parent's), and a fresh lock.

    The lock is made anew rather than taken: another thread of the parent may have held it at the fork.
    """
    global _clients_lock
    _clients_lock = threading.Lock()
    _clients.clear()


# Celery's prefork pool forks its workers after this module is imported.
os.register_at_fork(after_in_child=forget_clients_after_fork)


def outcome_unknown(exc: BaseException) -> bool:
    """Whether AWS may have done what a request asked although no answer came back.

    The connection broke or timed out once the request was on its way (botocore's
    ``HTTPClientError``: a read timeout, a connection closed before the answer),
    or AWS answered with a server error (5xx), after which it may or may not have
    acted. A request that never left (no connection, botocore's
    ``ConnectionError``) or that AWS refused (4xx, throttling included) did nothing.
    """
    if isinstance(exc, HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    return False


#: After an unknown outcome, look for the job flow this many seconds after each
#: previous look: EMR's listing may take a moment to show a new job flow.
LOST_ANSWER_LOOKUP_DELAYS = (0.0, 2.0, 5.0)
#: Look for a job flow from this long before we asked for it, in case AWS's clock is behind ours.
JOB_FLOW_CLOCK_SKEW = timedelta(minutes=5)


#: Where :meth:`Provisioner.spark_emr_configuration` keeps the file it read, with its ETag.
SPARK_EMR_CONFIGURATION_CACHE_KEY = "atmo:spark-emr-configuration"
#: S3's answer to a conditional GetObject of an object that did not change.
NOT_MODIFIED_CODES = frozenset({"304", "NotModified"})


def parse_spark_emr_configuration(body: bytes) -> list[dict[str, Any]]:
    """The EMR ``Configurations`` list in ``body``; :class:`AWSError` if it is not one."""
    try:
        configurations = json.loads(body)
    except ValueError as exc:
        raise AWSError(f"The Spark EMR configuration in S3 is not valid JSON ({exc}).") from exc
    if not isinstance(configurations, list):
        raise AWSError("The Spark EMR configuration in S3 must be a JSON list of configurations.")
    return configurations


class Provisioner:
    """Shared parts of the EMR requests for clusters and scheduled jobs.

    Subclasses set :attr:`log_dir` and :attr:`name_component`.
    """

    #: The folder of the log bucket for this kind of job flow, e.g. ``"jobs"``.
    log_dir: str | None = None
    #: The word that names this kind of job flow, e.g. ``"job"``.
    name_component: str | None = None

    def __init__(self) -> None:
        self.config = settings.AWS_CONFIG
        bucket = live.AWS_SPARK_EMR_BUCKET
        self.spark_emr_bucket = bucket
        self.spark_emr_configuration_key = "configuration/configuration.json"
        # What `manage.py publish_emr_code` publishes (atmo.cluster_code).
        self.script_uri = f"s3://{bucket}/{BOOTSTRAP_KEY}"
        self.zeppelin_uri = f"s3://{bucket}/{ZEPPELIN_KEY}"
        self.runner_uri = f"s3://{bucket}/{RUNNER_PREFIX}"
        self.jar_uri = (
            f"s3://{self.config['AWS_REGION']}.elasticmapreduce/libs/script-runner/script-runner.jar"
        )
        self.emr = client("emr")
        self.s3 = client("s3")

    @cached_property
    def emr_single_attempt(self) -> Any:
        """An EMR client that never resends a request on its own (for RunJobFlow)."""
        return client("emr", single_attempt=True)

    @property
    def environment(self) -> str:
        return settings.ENVIRONMENT

    def spark_emr_configuration(self) -> list[dict[str, Any]]:
        """The EMR ``Configurations`` shared with other services, stored as JSON in S3.

        Kept in the cache with the object's ETag: each call asks S3 for the object only
        if it changed (a conditional GetObject, answered 304 Not Modified otherwise), so
        a run reads the file again only after an operator changed it, or the cache lost it.

        Raises :class:`AWSUnreachable` when S3 cannot be reached (the caller may try
        again later), :class:`AWSError` when S3 refuses or the file is not a JSON list
        (an operator has to fix the bucket; trying again would not help).
        """
        location = {"bucket": self.spark_emr_bucket, "key": self.spark_emr_configuration_key}
        cache_key = f"{SPARK_EMR_CONFIGURATION_CACHE_KEY}:{location['bucket']}:{location['key']}"
        cached = cache.get(cache_key)
        condition = {"IfNoneMatch": cached["etag"]} if cached else {}
        try:
            # The body is streamed: reading it can lose the connection too.
            with aws_errors():
                try:
                    response = self.s3.get_object(Bucket=location["bucket"], Key=location["key"], **condition)
                except ClientError as exc:
                    if cached and exc.response.get("Error", {}).get("Code") in NOT_MODIFIED_CODES:
                        return cached["configurations"]
                    raise
                body = response["Body"].read()
            configurations = parse_spark_emr_configuration(body)
        except AWSError as exc:
            logger.error("cannot read the Spark EMR configuration", extra={**location, "code": exc.code})
            raise
        if response.get("ETag"):
            cache.set(cache_key, {"etag": response["ETag"], "configurations": configurations}, timeout=None)
        return configurations

    def job_flow_name(self, user_username: str, identifier: str) -> str:
        return f"atmo-{self.environment}-{self.name_component}-{user_username}-{identifier}"

    def job_flow_params(
        self, user_username: str, user_email: str, identifier: str, emr_release: str, size: int
    ) -> dict[str, Any]:
        """The RunJobFlow parameters common to clusters and jobs.

        ``size`` counts worker (core) nodes: 1 means a lone master that does the work.
        """
        now = timezone.now().isoformat()
        instance_groups: list[dict[str, Any]] = [
            {
                "Name": "Master",
                "Market": "ON_DEMAND",
                "InstanceRole": "MASTER",
                "InstanceType": self.config["MASTER_INSTANCE_TYPE"],
                "InstanceCount": 1,
            }
        ]
        if size > 1:
            core: dict[str, Any] = {
                "Name": "Worker Instances",
                "Market": "ON_DEMAND",
                "InstanceRole": "CORE",
                "InstanceType": self.config["WORKER_INSTANCE_TYPE"],
                "InstanceCount": size,
            }
            if live.AWS_USE_SPOT_INSTANCES:
                core.update(Market="SPOT", BidPrice=str(live.AWS_SPOT_BID_CORE))
            instance_groups.append(core)

        return {
            "Name": self.job_flow_name(user_username, identifier),
            "LogUri": f"s3://{self.config['LOG_BUCKET']}/{self.log_dir}/{identifier}/{now}",
            "ReleaseLabel": f"emr-{emr_release}",
            "Configurations": self.spark_emr_configuration(),
            "Instances": {
                "InstanceGroups": instance_groups,
                "Ec2KeyName": self.config["EC2_KEY_NAME"],
                "KeepJobFlowAliveWhenNoSteps": False,
            },
            "JobFlowRole": live.AWS_SPARK_INSTANCE_PROFILE,
            "ServiceRole": "EMR_DefaultRole",
            "Applications": [{"Name": "Spark"}, {"Name": "Hive"}, {"Name": "Zeppelin"}],
            "Tags": [
                {"Key": "Owner", "Value": user_email},
                {"Key": "Name", "Value": identifier},
                {"Key": "Environment", "Value": self.environment},
                {"Key": "Application", "Value": self.config["INSTANCE_APP_TAG"]},
                {"Key": "App", "Value": self.config["ACCOUNTING_APP_TAG"]},
                {"Key": "Type", "Value": self.config["ACCOUNTING_TYPE_TAG"]},
            ],
            "VisibleToAllUsers": True,
        }

    def zeppelin_step(self) -> dict[str, Any]:
        return {
            "Name": "setup-zeppelin",
            "ActionOnFailure": "TERMINATE_JOB_FLOW",
            "HadoopJarStep": {"Jar": self.jar_uri, "Args": [self.zeppelin_uri]},
        }

    def start_job_flow(self, params: dict[str, Any], identifier: str, tag: dict[str, str] | None) -> str:
        """RunJobFlow, with ``tag`` naming the row it is for; returns the job flow id.

        RunJobFlow is not idempotent, so it is sent once, never retried by botocore:
        when its answer is lost (see :func:`outcome_unknown`), the job flow is looked
        for by its name and ``tag`` (:meth:`find_tagged_job_flow`) and adopted when
        found; without a tag it cannot be told apart, and the call fails.

        Raises :class:`AWSUnreachable` when AWS cannot be reached or the answer was
        lost and no such job flow shows up (worth another try), :class:`AWSError`
        with AWS's reason when it refuses.
        """
        if tag is not None:
            params = {**params, "Tags": [*params["Tags"], tag]}
        asked_at = timezone.now()
        context = {"kind": self.name_component, "identifier": identifier, "tag": tag}
        try:
            with aws_errors():
                try:
                    jobflow_id = self.emr_single_attempt.run_job_flow(**params)["JobFlowId"]
                except (BotoCoreError, ClientError) as exc:
                    if tag is None or not outcome_unknown(exc):
                        raise
                    logger.warning("EMR's answer to RunJobFlow was lost", extra=context)
                    jobflow_id = self.find_after_lost_answer(params["Name"], tag, asked_at, exc)
        except AWSError as error:
            logger.warning(
                "EMR refused a job flow" if error.code else "EMR could not be reached",
                extra={**context, "code": error.code},
            )
            raise
        logger.info("job flow requested", extra={**context, "jobflow_id": jobflow_id})
        return jobflow_id

    def info(self, jobflow_id: str) -> JobFlowInfo:
        """DescribeCluster, formatted.

        Raises :class:`JobFlowNotFound` for unknown ids, :class:`AWSUnreachable`
        when AWS cannot be reached, :class:`AWSError` otherwise.
        """
        with aws_errors(unknown_job_flow):
            cluster = self.emr.describe_cluster(ClusterId=jobflow_id)["Cluster"]
        return self.format_info(cluster)

    def list(self, created_after: datetime, created_before: datetime | None = None) -> list[JobFlowInfo]:
        """ListClusters from ``created_after`` on, one call per page of 50."""
        return [info for page in self.list_pages(created_after, created_before) for info in page]

    def list_pages(
        self, created_after: datetime, created_before: datetime | None = None
    ) -> Iterator[builtins.list[JobFlowInfo]]:  # ``list`` is the method above in here
        """ListClusters from ``created_after`` on, a page (one call, up to 50 job flows) at a time.

        Raises :class:`AWSError` when a page cannot be read; the pages yielded before stand.
        """
        kwargs: dict[str, Any] = {"CreatedAfter": created_after}
        if created_before is not None:
            kwargs["CreatedBefore"] = created_before
        pages = iter(self.emr.get_paginator("list_clusters").paginate(**kwargs))
        while True:
            # Only the call is in aws_errors(): an error of the caller's own work on a
            # page (thrown in at the yield) must not be taken for AWS's.
            with aws_errors():
                page = next(pages, None)
            if page is None:
                return
            yield [self.format_list(cluster) for cluster in page.get("Clusters", [])]

    def stop(self, jobflow_id: str) -> None:
        """TerminateJobFlows. Raises as :meth:`info` does."""
        with aws_errors(unknown_job_flow):
            self.emr.terminate_job_flows(JobFlowIds=[jobflow_id])
        logger.info("job flow termination requested", extra={"jobflow_id": jobflow_id})

    @classmethod
    def format_info(cls, cluster: dict[str, Any]) -> JobFlowInfo:
        return cls._format(cluster, public_dns=cluster.get("MasterPublicDnsName"))

    @classmethod
    def format_list(cls, cluster: dict[str, Any]) -> JobFlowInfo:
        """A ListClusters entry as :class:`JobFlowInfo` (it carries no master DNS name)."""
        return cls._format(cluster, public_dns=None)

    @staticmethod
    def _format(cluster: dict[str, Any], public_dns: str | None) -> JobFlowInfo:
        status = cluster.get("Status", {})
        timeline = status.get("Timeline", {})
        reason = status.get("StateChangeReason", {})
        return JobFlowInfo(
            jobflow_id=cluster["Id"],
            state=status.get("State", ""),
            creation_datetime=timeline.get("CreationDateTime"),
            ready_datetime=timeline.get("ReadyDateTime"),
            end_datetime=timeline.get("EndDateTime"),
            state_change_reason_code=reason.get("Code"),
            state_change_reason_message=reason.get("Message"),
            public_dns=public_dns or None,
            normalized_instance_hours=cluster.get("NormalizedInstanceHours"),
        )

    def find_after_lost_answer(
        self, name: str, tag: dict[str, str], asked_at: datetime, cause: Exception
    ) -> str:
        """The job flow a RunJobFlow with a lost answer started; :class:`AWSUnreachable` if none shows up."""
        for delay in LOST_ANSWER_LOOKUP_DELAYS:
            time.sleep(delay)
            jobflow_id = self.find_tagged_job_flow(name, tag, asked_at - JOB_FLOW_CLOCK_SKEW)
            if jobflow_id is not None:
                logger.info("job flow of a lost answer adopted", extra={"tag": tag, "jobflow_id": jobflow_id})
                return jobflow_id
        raise AWSUnreachable(
            f"EMR's answer was lost and no job flow tagged {tag['Key']}={tag['Value']} appeared: {cause}"
        ) from cause

    def find_tagged_job_flow(self, name: str, tag: dict[str, str], created_after: datetime) -> str | None:
        """The id of the job flow called ``name`` carrying ``tag``, created since ``created_after``.

        ListClusters narrows the search by creation time and name; DescribeCluster
        tells the tags of each job flow of that name. Raises :class:`AWSError`.
        """
        with aws_errors():
            for page in self.emr.get_paginator("list_clusters").paginate(CreatedAfter=created_after):
                for summary in page.get("Clusters", []):
                    if summary.get("Name") != name:
                        continue
                    cluster = self.emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
                    if tag in cluster.get("Tags", []):
                        return summary["Id"]
        return None
