"""EMR calls for on-demand clusters (the AWS seam; see atmo.provisioners)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from constance import config as live

from atmo.provisioners import AWSError, Provisioner, aws_errors

logger = logging.getLogger(__name__)

#: The tag that names the :class:`~atmo.clusters.models.Cluster` row a job flow was
#: started for (see :meth:`ClusterProvisioner.find_cluster`).
CLUSTER_TAG = "AtmoCluster"
#: EMR's answer when asked about a cluster id it does not know.
UNKNOWN_CLUSTER_CODES = frozenset({"InvalidRequestException", "ValidationException"})


class ClusterNotFound(AWSError):
    """EMR does not know (or no longer knows) the cluster."""


@dataclass(frozen=True)
class ClusterInfo:
    """What EMR says about one cluster."""

    jobflow_id: str
    state: str
    creation_datetime: datetime | None
    ready_datetime: datetime | None
    end_datetime: datetime | None
    state_change_reason_code: str | None
    state_change_reason_message: str | None
    public_dns: str | None = None

    def __getitem__(self, key: str) -> Any:
        # Dict-style access, as the original API returned dicts.
        return getattr(self, key)


def cluster_tag(cluster_id: int | None) -> dict[str, str] | None:
    """The :data:`CLUSTER_TAG` tag of the row ``cluster_id``; None without a row."""
    return None if cluster_id is None else {"Key": CLUSTER_TAG, "Value": str(cluster_id)}


def unknown_cluster(error: AWSError) -> AWSError:
    """EMR's "not a valid cluster id" as :class:`ClusterNotFound`; any other refusal as it is."""
    if error.code in UNKNOWN_CLUSTER_CODES and "not valid" in error.message.lower():
        return ClusterNotFound(error.message, code=error.code, operation=error.operation)
    return error


class ClusterProvisioner(Provisioner):
    """Starts, describes, lists and stops on-demand clusters."""

    log_dir = "clusters"
    name_component = "cluster"

    def job_flow_params(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The shared parameters, kept alive between steps: it is interactive."""
        params = super().job_flow_params(*args, **kwargs)
        params["Instances"]["KeepJobFlowAliveWhenNoSteps"] = True
        return params

    def start(
        self,
        user_username: str,
        user_email: str,
        identifier: str,
        emr_release: str,
        size: int,
        public_key: str,
        cluster_id: int | None = None,
    ) -> str:
        """Ask EMR for a cluster; returns its job flow id. Raises :class:`AWSError`.

        ``cluster_id`` (the :class:`~atmo.clusters.models.Cluster` row) goes into the
        :data:`CLUSTER_TAG` tag, so that the job flow is found and adopted when EMR's
        answer is lost (see :meth:`~atmo.provisioners.Provisioner.start_job_flow`).
        """
        params = self.job_flow_params(user_username, user_email, identifier, emr_release, size)
        params["BootstrapActions"] = [
            {
                "Name": "setup-telemetry-cluster",
                "ScriptBootstrapAction": {
                    "Path": self.script_uri,
                    "Args": [
                        "--public-key",
                        public_key,
                        "--email",
                        user_email,
                        "--efs-dns",
                        live.AWS_EFS_DNS,
                    ],
                },
            }
        ]
        params["Steps"] = [self.zeppelin_step()]
        return self.start_job_flow(params, identifier, cluster_tag(cluster_id))

    def find_cluster(
        self, user_username: str, identifier: str, cluster_id: int, created_after: datetime
    ) -> str | None:
        """The id of the job flow started for the row ``cluster_id`` since ``created_after``, if any.

        Raises :class:`~atmo.provisioners.AWSError`.
        """
        name = self.job_flow_name(user_username, identifier)
        return self.find_tagged_job_flow(name, {"Key": CLUSTER_TAG, "Value": str(cluster_id)}, created_after)

    def info(self, jobflow_id: str) -> ClusterInfo:
        """DescribeCluster, formatted.

        Raises :class:`ClusterNotFound` for unknown ids, :class:`~atmo.provisioners.AWSUnreachable`
        when AWS cannot be reached, :class:`~atmo.provisioners.AWSError` otherwise.
        """
        with aws_errors(unknown_cluster):
            cluster = self.emr.describe_cluster(ClusterId=jobflow_id)["Cluster"]
        return self.format_info(cluster)

    def list(self, created_after: datetime, created_before: datetime | None = None) -> list[ClusterInfo]:
        """ListClusters from ``created_after`` on, one call per page of 50."""
        kwargs: dict[str, Any] = {"CreatedAfter": created_after}
        if created_before is not None:
            kwargs["CreatedBefore"] = created_before
        clusters: list[ClusterInfo] = []
        with aws_errors():
            for page in self.emr.get_paginator("list_clusters").paginate(**kwargs):
                clusters.extend(self.format_list(cluster) for cluster in page.get("Clusters", []))
        return clusters

    def stop(self, jobflow_id: str) -> None:
        """TerminateJobFlows. Raises as :meth:`info` does."""
        with aws_errors(unknown_cluster):
            self.emr.terminate_job_flows(JobFlowIds=[jobflow_id])
        logger.info("cluster termination requested", extra={"jobflow_id": jobflow_id})

    @classmethod
    def format_info(cls, cluster: dict[str, Any]) -> ClusterInfo:
        """A DescribeCluster ``Cluster`` as :class:`ClusterInfo`."""
        return cls._format(cluster, public_dns=cluster.get("MasterPublicDnsName"))

    @classmethod
    def format_list(cls, cluster: dict[str, Any]) -> ClusterInfo:
        """A ListClusters entry as :class:`ClusterInfo` (it carries no master DNS name)."""
        return cls._format(cluster, public_dns=None)

    @staticmethod
    def _format(cluster: dict[str, Any], public_dns: str | None) -> ClusterInfo:
        status = cluster.get("Status", {})
        timeline = status.get("Timeline", {})
        reason = status.get("StateChangeReason", {})
        return ClusterInfo(
            jobflow_id=cluster["Id"],
            state=status.get("State", ""),
            creation_datetime=timeline.get("CreationDateTime"),
            ready_datetime=timeline.get("ReadyDateTime"),
            end_datetime=timeline.get("EndDateTime"),
            state_change_reason_code=reason.get("Code"),
            state_change_reason_message=reason.get("Message"),
            public_dns=public_dns or None,
        )
