"""factory_boy factories of EMR releases and clusters."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from atmo.clusters.models import Cluster, EMRRelease
from tests.keys.factories import SSHKeyFactory
from tests.users.factories import UserFactory


class EMRReleaseFactory(factory.django.DjangoModelFactory):
    version = "7.1.0"
    changelog_url = factory.LazyAttribute(
        lambda release: f"https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-{release.version}.html"
    )

    class Meta:
        model = EMRRelease
        # Clusters share one release unless a test asks for another.
        django_get_or_create = ("version",)


class ClusterFactory(factory.django.DjangoModelFactory):
    """A ready cluster (EMR state WAITING) unless a trait says otherwise."""

    identifier = factory.Sequence(lambda n: f"curious-curie-{n}")
    size = 1
    lifetime = Cluster.DEFAULT_LIFETIME
    created_by = factory.SubFactory(UserFactory)
    emr_release = factory.SubFactory(EMRReleaseFactory)
    ssh_key = factory.SubFactory(SSHKeyFactory, created_by=factory.SelfAttribute("..created_by"))
    jobflow_id = factory.Sequence(lambda n: f"j-{n:013d}")
    most_recent_status = Cluster.STATUS_WAITING
    master_address = factory.Sequence(lambda n: f"ec2-10-0-0-{n % 250}.us-west-2.compute.amazonaws.com")
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=10))
    ready_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=2))

    class Meta:
        model = Cluster

    class Params:
        requested = factory.Trait(
            most_recent_status=Cluster.REQUESTED,
            jobflow_id=None,
            master_address="",
            started_at=None,
            ready_at=None,
        )
        starting = factory.Trait(most_recent_status=Cluster.STATUS_STARTING, master_address="", ready_at=None)
        terminating = factory.Trait(most_recent_status=Cluster.STATUS_TERMINATING)
        terminated = factory.Trait(
            most_recent_status=Cluster.STATUS_TERMINATED,
            status_message="Terminated by user request",
            finished_at=factory.LazyFunction(timezone.now),
        )
        failed = factory.Trait(
            most_recent_status=Cluster.STATUS_TERMINATED_WITH_ERRORS,
            status_message="The bootstrap action failed: setup-telemetry-cluster returned 1.",
            ready_at=None,
            finished_at=factory.LazyFunction(timezone.now),
        )
