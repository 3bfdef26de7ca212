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
from atmo.jobs.views import RunOutputs, signed_output_url
from atmo.keys.models import SSHKey
from atmo.lib import parameters as job_parameters
from atmo.lib.notebooks import strip_terminal_codes
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
    type_name = serializers.CharField(
        read_only=True, help_text="The key type as ssh-keygen names it, e.g. ED25519, RSA 4096."
    )
    fingerprint = serializers.CharField(
        read_only=True, help_text="The SHA256 fingerprint, as ssh-keygen -l prints it."
    )
    sha256_fingerprint = serializers.CharField(
        read_only=True, help_text="The same as fingerprint (an older name)."
    )
    url = serializers.HyperlinkedIdentityField(view_name="api-ssh-key-detail", lookup_url_kwarg="id")
    web_url = PageURLField()

    class Meta:
        model = SSHKey
        fields = [
            "id",
            "title",
            "key",
            "prefix",
            "type_name",
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


class ParameterDefinitionSerializer(serializers.Serializer[Any]):
    """One notebook parameter a job declares."""

    name = serializers.CharField(help_text="A Python name the notebook's parameters cell uses.")
    type = serializers.ChoiceField(choices=list(job_parameters.TYPES))
    default = serializers.JSONField(
        help_text="Typed as the parameter: a string, number, boolean or `YYYY-MM-DD` date."
    )


class RunFailureSerializer(serializers.Serializer[Any]):
    """Where and how the notebook failed, as the runner recorded it."""

    cell_index = serializers.IntegerField(allow_null=True, help_text="The failing cell (null: not a cell).")
    cell_source_excerpt = serializers.CharField(help_text="The first lines of the failing cell.")
    exception = serializers.CharField(help_text="The exception's name, e.g. `ZeroDivisionError`.")
    message = serializers.CharField()
    traceback = serializers.ListField(
        child=serializers.CharField(), help_text="The traceback's lines, without terminal colour codes."
    )

    def to_representation(self, run: SparkJobRun) -> dict[str, Any]:
        failure = run.failure or {}
        index = failure.get("cell_index")
        lines = failure.get("traceback")
        return {
            "cell_index": index if isinstance(index, int) else None,
            "cell_source_excerpt": run.failure_excerpt,
            "exception": str(failure.get("exception") or ""),
            "message": str(failure.get("message") or ""),
            "traceback": [
                strip_terminal_codes(line)
                for line in (lines if isinstance(lines, list) else [])
                if isinstance(line, str)
            ],
        }


class RunOutputSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(help_text="What the run page calls it.")
    name = serializers.CharField(help_text="The file's name under the run's output location.")
    url = serializers.URLField(help_text="A signed S3 link, valid for a short while.")


class RunSerializer(serializers.ModelSerializer[SparkJobRun]):
    """A run: its attempt, parameters and outcome, and why it failed (``failure``, ``alerts``)."""

    state = StateField(source="status")
    job = serializers.IntegerField(source="spark_job_id", read_only=True)
    retry_of = serializers.IntegerField(
        source="retry_of_id", read_only=True, allow_null=True, help_text="The first attempt, on a retry."
    )
    manual = serializers.BooleanField(source="is_manual", read_only=True, help_text="Asked for with Run now.")
    requested_by = serializers.SerializerMethodField(help_text="Who asked for a manual run.")
    outcome = serializers.CharField(
        source="outcome_status",
        read_only=True,
        help_text="`succeeded`, `failed` or `timed_out` as the notebook's runner said; empty when unknown.",
    )
    failure = serializers.SerializerMethodField()
    run_time_seconds = serializers.SerializerMethodField()
    alerts = RunAlertSerializer(many=True, read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-run-detail", lookup_url_kwarg="id")
    web_url = PageURLField()
    rendered_url = serializers.SerializerMethodField(
        help_text="The executed notebook as HTML, sandboxed (the run page's frame); null until the run ended."
    )

    class Meta:
        model = SparkJobRun
        fields = [
            "id",
            "job",
            "state",
            "slot",
            "attempt",
            "retry_of",
            "manual",
            "requested_by",
            "parameters",
            "outcome",
            "failure",
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
            "web_url",
            "rendered_url",
        ]

    def get_requested_by(self, run: SparkJobRun) -> str | None:
        return run.requested_by.username if run.requested_by is not None else None

    @extend_schema_field(RunFailureSerializer(allow_null=True))
    def get_failure(self, run: SparkJobRun) -> dict[str, Any] | None:
        return RunFailureSerializer(run).data if run.failure is not None else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_rendered_url(self, run: SparkJobRun) -> str | None:
        outputs = RunOutputs.of(run)
        request = self.context.get("request")
        if outputs is None or request is None:
            return outputs.rendered_url if outputs is not None else None
        return request.build_absolute_uri(outputs.rendered_url)

    def get_run_time_seconds(self, run: SparkJobRun) -> float | None:
        return run.run_time.total_seconds() if run.run_time is not None else None


class RunDetailSerializer(RunSerializer):
    """A run with signed links to its outputs (only here: lists sign nothing)."""

    outputs = serializers.SerializerMethodField(
        help_text="The executed notebook, the log and the files the notebook wrote; empty before the end."
    )

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "outputs"]

    @extend_schema_field(RunOutputSerializer(many=True))
    def get_outputs(self, run: SparkJobRun) -> list[dict[str, str]]:
        outputs = RunOutputs.of(run)
        if outputs is None:
            return []
        return [
            {"label": label, "name": name, "url": signed_output_url(run, name)}
            for label, name, _ in outputs.downloads
        ]


class SparkJobSerializer(serializers.ModelSerializer[SparkJob]):
    emr_release = serializers.CharField(source="emr_release_id", read_only=True)
    owner = serializers.CharField(source="created_by.username", read_only=True)
    # A nested serializer, not a method field: its fields are built once per list, not once per job.
    latest_run = RunSerializer(read_only=True, allow_null=True)
    parameters = ParameterDefinitionSerializer(many=True, read_only=True)
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
            "parameters",
            "retries",
            "retry_timeouts",
            "latest_run",
            "created_at",
            "modified_at",
            "url",
            "runs_url",
            "web_url",
        ]


class RunNowRequestSerializer(serializers.Serializer[Any]):
    """Run now: the job's parameters as they are, or changed for this run only."""

    parameters = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="`{name: value}` for the parameters to change; the others keep their defaults.",
    )


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
