"""factory_boy factories for the cluster tests: users, EMR releases, SSH keys, clusters."""

from __future__ import annotations

from datetime import timedelta

import factory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.contrib.auth import get_user_model
from django.utils import timezone

from atmo.clusters.models import Cluster, EMRRelease
from atmo.keys.models import SSHKey

# Real keys, made on first use and reused for the rest of the session. A user
# may not hold the same key twice, so each factory call takes the next one.
_public_keys: list[str] = []


def public_key(index: int) -> str:
    """The ``index``-th ed25519 public key of the session, in OpenSSH format."""
    while len(_public_keys) <= index:
        key = Ed25519PrivateKey.generate().public_key()
        line = key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
        _public_keys.append(f"{line} tester@example.com")
    return _public_keys[index]


class UserFactory(factory.django.DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)


class EMRReleaseFactory(factory.django.DjangoModelFactory):
    version = "7.1.0"
    changelog_url = factory.LazyAttribute(
        lambda release: f"https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-{release.version}.html"
    )

    class Meta:
        model = EMRRelease
        # Clusters share one release unless a test asks for another.
        django_get_or_create = ("version",)


class SSHKeyFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"laptop-{n}")
    key = factory.Sequence(public_key)
    created_by = factory.SubFactory(UserFactory)

    class Meta:
        model = SSHKey


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
