"""factory_boy factories of Spark jobs and their runs."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from atmo.jobs.models import SparkJob, SparkJobRun
from tests.clusters.factories import EMRReleaseFactory
from tests.users.factories import UserFactory


class SparkJobFactory(factory.django.DjangoModelFactory):
    """A daily job that started an hour ago: its first slot has come."""

    created_by = factory.SubFactory(UserFactory)
    emr_release = factory.SubFactory(EMRReleaseFactory)
    identifier = "daily-report"
    description = "Counts things every day."
    notebook_s3_key = factory.LazyAttribute(lambda job: f"jobs/{job.identifier}/report.ipynb")
    size = 2
    interval_in_hours = SparkJob.INTERVAL_DAILY
    job_timeout = 2
    start_date = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    class Meta:
        model = SparkJob


class SparkJobRunFactory(factory.django.DjangoModelFactory):
    """A run of its job, on EMR for half an hour (RUNNING) unless told otherwise."""

    spark_job = factory.SubFactory(SparkJobFactory)
    jobflow_id = "j-RUN"
    status = SparkJobRun.State.RUNNING
    scheduled_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=30))
    emr_release_version = factory.SelfAttribute("spark_job.emr_release_id")
    size = factory.SelfAttribute("spark_job.size")

    class Meta:
        model = SparkJobRun

    class Params:
        #: Requested from EMR, which has not answered (yet).
        requested = factory.Trait(jobflow_id=None, status=SparkJobRun.State.REQUESTED)
