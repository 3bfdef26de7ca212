"""How the API shows clusters, keys, releases, jobs and runs (read side only).

Requests are checked by the site's forms (see :mod:`atmo.api.forms_bridge`);
these serializers only say how rows look in answers. Each lists its fields in
``Meta.fields``: a new field of a model is one more name there (and, for a
computed one, a declared field).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from atmo.clusters.models import Cluster, EMRRelease
from atmo.jobs.models import SparkJob, SparkJobRun, SparkJobRunAlert
from atmo.keys.models import SSHKey
from atmo.models import JobFlowState
from atmo.notifications import Event
from atmo.notifications.models import WebhookDelivery, WebhookEndpoint


@extend_schema_field(OpenApiTypes.URI)
class PageURLField(serializers.ReadOnlyField):
    """The absolute URL of the object's page on the site."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="get_absolute_url", **kwargs)

    def to_representation(self, value: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(value) if request is not None else value


class StateField(serializers.ChoiceField):
    """A job flow state, e.g. ``WAITING`` ("" before anything was requested)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", ""), *JobFlowState.choices], read_only=True, **kwargs)


class EMRReleaseSerializer(serializers.ModelSerializer[EMRRelease]):
    class Meta:
        model = EMRRelease
        fields = ["version", "is_experimental", "is_deprecated", "badge", "help_text", "changelog_url"]


class SSHKeySerializer(serializers.ModelSerializer[SSHKey]):
    url = serializers.HyperlinkedIdentityField(view_name="api-ssh-key-detail", lookup_url_kwarg="id")
    web_url = PageURLField()

    class Meta:
        model = SSHKey
        fields = [
            "id",
            "title",
            "key",
            "prefix",
            "fingerprint",
            "sha256_fingerprint",
            "created_at",
            "url",
            "web_url",
        ]


class ClusterSerializer(serializers.ModelSerializer[Cluster]):
    state = StateField(source="most_recent_status")
    emr_release = serializers.CharField(source="emr_release_id", read_only=True)
    ssh_key = serializers.IntegerField(source="ssh_key_id", read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-cluster-detail", lookup_url_kwarg="id")
    web_url = PageURLField()

    class Meta:
        model = Cluster
        fields = [
            "id",
            "identifier",
            "state",
            "status_message",
            "size",
            "lifetime",
            "lifetime_extension_count",
            "expires_at",
            "emr_release",
            "ssh_key",
            "jobflow_id",
            "master_address",
            "created_at",
            "started_at",
            "ready_at",
            "finished_at",
            "url",
            "web_url",
        ]


class RunAlertSerializer(serializers.ModelSerializer[SparkJobRunAlert]):
    class Meta:
        model = SparkJobRunAlert
        fields = ["reason_code", "reason_message", "created_at"]


class RunSerializer(serializers.ModelSerializer[SparkJobRun]):
    """A run, with why it failed (its alerts)."""

    state = StateField(source="status")
    job = serializers.IntegerField(source="spark_job_id", read_only=True)
    run_time_seconds = serializers.SerializerMethodField()
    alerts = RunAlertSerializer(many=True, read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-run-detail", lookup_url_kwarg="id")

    class Meta:
        model = SparkJobRun
        fields = [
            "id",
            "job",
            "state",
            "jobflow_id",
            "emr_release_version",
            "size",
            "scheduled_at",
            "started_at",
            "ready_at",
            "finished_at",
            "timed_out_at",
            "run_time_seconds",
            "alerts",
            "url",
        ]

    def get_run_time_seconds(self, run: SparkJobRun) -> float | None:
        return run.run_time.total_seconds() if run.run_time is not None else None


class SparkJobSerializer(serializers.ModelSerializer[SparkJob]):
    emr_release = serializers.CharField(source="emr_release_id", read_only=True)
    owner = serializers.CharField(source="created_by.username", read_only=True)
    # A nested serializer, not a method field: its fields are built once per list, not once per job.
    latest_run = RunSerializer(read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-job-detail", lookup_url_kwarg="id")
    runs_url = serializers.HyperlinkedIdentityField(view_name="api-job-runs", lookup_url_kwarg="id")
    web_url = PageURLField()

    class Meta:
        model = SparkJob
        fields = [
            "id",
            "identifier",
            "description",
            "owner",
            "notebook_name",
            "result_visibility",
            "size",
            "interval_in_hours",
            "job_timeout",
            "start_date",
            "end_date",
            "is_enabled",
            "expired_date",
            "emr_release",
            "latest_run",
            "created_at",
            "modified_at",
            "url",
            "runs_url",
            "web_url",
        ]


class ResultFileSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField(help_text="The key without the job's identifier.")
    url = serializers.URLField(help_text="A public link, or a signed one valid for a short while.")


class ResultsSerializer(serializers.Serializer[Any]):
    data = ResultFileSerializer(many=True)
    logs = ResultFileSerializer(many=True, help_text="Newest first.")


class OutcomeSerializer(serializers.Serializer[Any]):
    """What an action did, in words, with the object as it is now."""

    outcome = serializers.CharField()
    detail = serializers.CharField()


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    """One delivery and the receiver's latest answer."""

    outcome = serializers.ChoiceField(choices=["pending", "retrying", "delivered", "failed"], read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "summary",
            "outcome",
            "response_status",
            "error",
            "attempts",
            "created_at",
            "last_attempt_at",
            "delivered_at",
        ]


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    job = serializers.IntegerField(source="spark_job_id", read_only=True, allow_null=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-webhook-detail", lookup_url_kwarg="id")
    deliveries_url = serializers.HyperlinkedIdentityField(
        view_name="api-webhook-deliveries", lookup_url_kwarg="id"
    )
    web_url = PageURLField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "name",
            "target_url",
            "format",
            "events",
            "job",
            "created_at",
            "url",
            "deliveries_url",
            "web_url",
        ]


class NewWebhookEndpointSerializer(WebhookEndpointSerializer):
    """A new endpoint, with its signing secret: the only answer that has it."""

    secret = serializers.CharField(read_only=True)

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
