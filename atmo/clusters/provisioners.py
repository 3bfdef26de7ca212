"""EMR calls for on-demand clusters (the AWS seam; see atmo.provisioners).

Describing, listing and stopping are the same for every job flow and live on
:class:`~atmo.provisioners.Provisioner`; this module adds what only an
interactive cluster needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from constance import config as live

from atmo.provisioners import JobFlowInfo, JobFlowNotFound, Provisioner

#: Earlier names of :class:`~atmo.provisioners.JobFlowInfo` and
#: :class:`~atmo.provisioners.JobFlowNotFound`, from when only clusters had them.
ClusterInfo = JobFlowInfo
ClusterNotFound = JobFlowNotFound

#: The tag that names the :class:`~atmo.clusters.models.Cluster` row a job flow was
#: started for (see :meth:`ClusterProvisioner.find_cluster`).
CLUSTER_TAG = "AtmoCluster"


def cluster_tag(cluster_id: int | None) -> dict[str, str] | None:
    return None if cluster_id is None else {"Key": CLUSTER_TAG, "Value": str(cluster_id)}


class ClusterProvisioner(Provisioner):
    """Starts on-demand clusters; describes, lists and stops them as every job flow."""

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
        idle_timeout: int | None = None,
    ) -> str:
        """Ask EMR for a cluster; returns its job flow id. Raises :class:`~atmo.provisioners.AWSError`.

        ``cluster_id`` (the :class:`~atmo.clusters.models.Cluster` row) goes into the
        :data:`CLUSTER_TAG` tag, so that the job flow is found and adopted when EMR's
        answer is lost (see :meth:`~atmo.provisioners.Provisioner.start_job_flow`).
        ``idle_timeout`` (hours) becomes EMR's auto-termination policy: the cluster
        stops after that long without a running step.
        """
        params = self.job_flow_params(user_username, user_email, identifier, emr_release, size)
        params["BootstrapActions"] = [
            {
                "Name": "setup-telemetry-cluster",
                "ScriptBootstrapAction": {
                    "Path": self.script_uri,
                    "Args": [
                        "--runner-uri",
                        self.runner_uri,
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
        if idle_timeout:
            params["AutoTerminationPolicy"] = {"IdleTimeout": idle_timeout * 3600}
        return self.start_job_flow(params, identifier, cluster_tag(cluster_id))

    def find_cluster(
        self, user_username: str, identifier: str, cluster_id: int, created_after: datetime
    ) -> str | None:
        """The id of the job flow started for the row ``cluster_id`` since ``created_after``, if any.

        Raises :class:`~atmo.provisioners.AWSError`.
        """
        name = self.job_flow_name(user_username, identifier)
        return self.find_tagged_job_flow(name, {"Key": CLUSTER_TAG, "Value": str(cluster_id)}, created_after)
