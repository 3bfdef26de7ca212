"""Celery tasks of the clusters app: provisioning, status sync, expiry and mails."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from atmo import notifications
from atmo.celery import celery
from atmo.clusters.models import Cluster
from atmo.mail import MailClaim, send_claimed_mail
from atmo.provisioners import TRANSIENT_AWS_ERRORS, AWSError, JobFlowNotFound, describe_aws_failure
from atmo.tasks import RETRIES_WHILE_SOMEONE_WAITS, AWSTask

logger = logging.getLogger(__name__)


@celery.task(bind=True, base=AWSTask, max_retries=RETRIES_WHILE_SOMEONE_WAITS)
def provision_cluster(self: AWSTask, cluster_id: int) -> str | None:
    """Start the cluster at EMR; after the last retry the cluster is failed, saying why."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return None
    try:
        cluster.provision()
    except TRANSIENT_AWS_ERRORS as exc:
        if not self.is_last_attempt:
            raise
        failure = describe_aws_failure(
            exc, "The cluster could not be started however often we tried", advice="Please launch it again."
        )
        cluster.mark_failed(str(failure))
        return None
    return cluster.jobflow_id


@celery.task(base=AWSTask)
def update_master_address(cluster_id: int, force: bool = False) -> str | None:
    """Fetch the master's public DNS name (ListClusters does not carry it)."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None or not cluster.jobflow_id:
        return None
    if cluster.master_address and not force:
        return None
    try:
        public_dns = cluster.info.public_dns
    except JobFlowNotFound:
        cluster.mark_gone()
        return None
    if not public_dns:
        return None
    cluster.master_address = public_dns
    cluster.save(update_fields=["master_address"])
    return public_dns


@celery.task(base=AWSTask)
def update_clusters() -> list[str]:
    """Sync every active cluster from EMR's listing; returns the identifiers synced.

    EMR lists the whole AWS account, not only ATMO's clusters, and ended job flows
    too: everything created since midnight of the oldest active row's day. That
    costs one ListClusters call per 50 job flows listed, and one query when nothing
    changed; the changed clusters are written in bulk, page by page. A cluster that
    just became ready gets its master address from one DescribeCluster, in a task
    of its own (see :meth:`Cluster.synced`).
    """
    active = list(Cluster.objects.active().provisioned().order_by("created_at"))
    return [cluster.identifier for cluster in Cluster.sync_from_listing(active)]


@celery.task
def deactivate_clusters() -> list[list[Any]]:
    """Terminate the active clusters whose lifetime is over.

    Returns ``[[identifier, pk, outcome], …]``, ``outcome`` being the value of the
    :class:`~atmo.clusters.models.Deactivation` that says what happened to each.
    Clusters EMR is already shutting down are left alone: it accepted their stop.
    A cluster whose termination EMR refused or throttled keeps its state, so the
    next sweep, a minute later, tries again.
    """
    deactivated = []
    overdue = Cluster.objects.active().not_terminating().expiring_before(timezone.now())
    # The longest overdue first, in a stable order.
    for cluster in overdue.order_by("expires_at", "pk"):
        try:
            outcome = cluster.deactivate(Cluster.TERMINATED_AT_EXPIRY)
        except AWSError as exc:
            logger.warning(
                "expired cluster not terminated", extra={"cluster_id": cluster.pk, "code": exc.code}
            )
            continue
        logger.info(
            "expired cluster deactivated",
            extra={"cluster_id": cluster.pk, "jobflow_id": cluster.jobflow_id, "outcome": outcome.value},
        )
        deactivated.append([cluster.identifier, cluster.pk, outcome.value])
    return deactivated


class ExpirationMailsNotSent(Exception):
    """Some expiration mails could not be sent; the next run tries them again."""


@celery.task
def send_expiration_mails() -> list[int]:
    """Warn owners an hour before their cluster expires, once per expiry time; returns the ids mailed.

    A mail that cannot be sent does not hold up the others: its claim is given
    back for the next run (five minutes later), and once every owner was tried,
    :class:`ExpirationMailsNotSent` reports the failures, once.
    """
    deadline = Cluster.deadline_for_expiration_mails()
    sent, failed = [], []
    first_error: Exception | None = None
    candidates = Cluster.objects.active().expiring_before(deadline).filter(expiration_mail_sent=False)
    for cluster in candidates.select_related("created_by").order_by("expires_at", "pk"):
        claim = expiration_mail_claim(cluster)
        with transaction.atomic():
            if not claim.take():
                continue
            # With the mail's claim; a claim taken over after a lost worker emits it again,
            # which makes no second delivery.
            notifications.emit(notifications.Event.CLUSTER_EXPIRING, cluster)
        error = send_claimed_mail(
            "clusters/emails/expiring", {"cluster": cluster}, cluster.created_by.email, claim
        )
        if error is None:
            sent.append(cluster.pk)
        else:
            failed.append(cluster.pk)
            first_error = first_error or error
    if failed:
        raise ExpirationMailsNotSent(
            f"Expiration mails of clusters {failed} not sent (sent: {sent}): {first_error}"
        ) from first_error
    return sent


def expiration_mail_claim(cluster: Cluster) -> MailClaim:
    # The claim requires the expiry we read: an extension since then moved it, and
    # that new time gets its own mail when it comes close.
    return MailClaim(
        Cluster.objects.filter(pk=cluster.pk),
        pending={"expiration_mail_sent": False, "expires_at": cluster.expires_at},
        sent={"expiration_mail_sent": True},
        lease="expiration_mail_claimed_at",
    )


@celery.task
def send_idle_stop_mail(cluster_id: int) -> bool:
    """Tell the owner that EMR stopped their cluster for being idle; once, whichever worker runs it.

    A mail that cannot be sent gives its claim back and the task fails with the
    error (the worker logs it); running the task again sends it.
    """
    cluster = Cluster.objects.select_related("created_by").filter(pk=cluster_id).first()
    if cluster is None:
        return False
    claim = cluster.idle_stop_mail_claim()
    if not claim.take():
        return False
    error = send_claimed_mail(
        "clusters/emails/idle_stopped", {"cluster": cluster}, cluster.created_by.email, claim
    )
    if error is not None:
        raise error
    return True
