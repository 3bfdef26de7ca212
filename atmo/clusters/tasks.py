"""Celery tasks of the clusters app: provisioning, status sync, expiry and mails."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from atmo.celery import celery
from atmo.clusters.listing import sync_from_listing
from atmo.clusters.models import Cluster
from atmo.clusters.provisioners import ClusterInfo, ClusterNotFound
from atmo.mail import send_templated_mail
from atmo.provisioners import AWSError

logger = logging.getLogger(__name__)

#: The cluster's status message once provisioning has been retried ``max_retries`` times.
GAVE_UP_MESSAGE = (
    "AWS kept throttling our requests or could not be reached ({reason}); please launch the cluster again."
)


@celery.task(bind=True, max_retries=7, throws=(AWSError,))
def provision_cluster(self: Any, cluster_id: int) -> str | None:
    """Start the cluster at EMR; throttling and lost connections are retried with jittered backoff."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return None
    try:
        cluster.provision()
    except AWSError as exc:
        if self.request.retries >= self.max_retries:
            cluster.mark_failed(GAVE_UP_MESSAGE.format(reason=exc.message))
            return None
        raise self.retry(exc=exc, countdown=celery.backoff(self.request.retries)) from exc
    return cluster.jobflow_id


@celery.task(bind=True, max_retries=3)
def update_master_address(self: Any, cluster_id: int, force: bool = False) -> str | None:
    """Fetch the master's public DNS name (ListClusters does not carry it)."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None or not cluster.jobflow_id:
        return None
    if cluster.master_address and not force:
        return None
    try:
        public_dns = cluster.info.public_dns
    except ClusterNotFound:
        cluster.mark_gone()
        return None
    except AWSError as exc:
        raise self.retry(exc=exc, countdown=celery.backoff(self.request.retries)) from exc
    if not public_dns:
        return None
    cluster.master_address = public_dns
    cluster.save(update_fields=["master_address"])
    return public_dns


@celery.task(bind=True, max_retries=7)
def update_clusters(self: Any) -> list[str]:
    """Sync every active cluster from EMR's listing: one ListClusters call per 50 clusters."""
    active = list(Cluster.objects.active().provisioned().order_by("created_at"))
    try:
        synced = sync_from_listing(active, sync_cluster)
    except AWSError as exc:
        raise self.retry(exc=exc, countdown=celery.backoff(self.request.retries)) from exc
    return [cluster.identifier for cluster in synced]


def sync_cluster(cluster: Cluster, info: ClusterInfo) -> None:
    """Copy EMR's listing entry onto the cluster; once ready, ask for its master's address.

    ListClusters carries no master DNS name: one DescribeCluster per cluster, once.
    """
    with transaction.atomic():
        cluster.sync(info)
    if cluster.is_ready and not cluster.master_address:
        update_master_address.delay_on_commit(cluster.pk)


@celery.task
def deactivate_clusters() -> list[list[Any]]:
    """Terminate the active clusters whose lifetime is over."""
    deactivated = []
    for cluster in Cluster.objects.active().expiring_before(timezone.now()):
        logger.info("cluster expired", extra={"cluster_id": cluster.pk, "jobflow_id": cluster.jobflow_id})
        try:
            cluster.deactivate()
        except AWSError:
            # Throttled or refused: the next run, a minute later, tries again.
            logger.warning("cluster could not be terminated", extra={"cluster_id": cluster.pk})
            continue
        deactivated.append([cluster.identifier, cluster.pk])
    return deactivated


@celery.task
def send_expiration_mails() -> list[int]:
    """Warn owners an hour before their cluster expires: once per expiry time."""
    deadline = Cluster.deadline_for_expiration_mails()
    sent = []
    candidates = Cluster.objects.active().expiring_before(deadline).filter(expiration_mail_sent=False)
    for cluster in candidates.select_related("created_by").order_by("expires_at", "pk"):
        # Claim the mail: of two workers running this task at once, one wins.
        # The claim also requires the expiry we read: an extension since then
        # moved it, and that new time gets its own mail when it comes close.
        claimed = Cluster.objects.filter(
            pk=cluster.pk, expiration_mail_sent=False, expires_at=cluster.expires_at
        ).update(expiration_mail_sent=True)
        if not claimed:
            continue
        try:
            send_templated_mail(
                "clusters/emails/expiring",
                {"cluster": cluster},
                to=[cluster.created_by.email],
            )
        except Exception:
            # Give the next run a chance instead of silently never warning the owner.
            Cluster.objects.filter(pk=cluster.pk).update(expiration_mail_sent=False)
            raise
        sent.append(cluster.pk)
    return sent
