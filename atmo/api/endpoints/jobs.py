"""Spark jobs (list, schedule, show, change, delete, run now, results) and their runs."""

from __future__ import annotations

from functools import partial
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from atmo.api.endpoints.common import (
    STATE_PARAMETER,
    AWSRefused,
    Conflict,
    ObjectViewSet,
    aws_error,
    aws_failure,
    filter_state,
    object_for,
)
from atmo.api.forms_bridge import bind, bind_values, request_values, valid
from atmo.api.problems import FormInvalid
from atmo.api.schema import form_request
from atmo.api.serializers import (
    ResultsSerializer,
    RunDetailSerializer,
    RunNowRequestSerializer,
    RunSerializer,
    SparkJobSerializer,
)
from atmo.costs.budgets import refusal_for
from atmo.jobs.exceptions import SparkJobNotFound
from atmo.jobs.forms import EditSparkJobForm, NewSparkJobForm, RunNowForm
from atmo.jobs.models import Deletion, RunNow, SparkJob, SparkJobRun
from atmo.jobs.permissions import can_view, get_job_for
from atmo.jobs.views import (
    RESULTS_NOT_LISTED,
    RUN_NOW_REFUSALS,
    deletion_failure_message,
    new_job_initial,
    result_links,
    save_job_form,
)
from atmo.provisioners import AWSError
from atmo.tombstones import bury

MESSAGES = {
    "overrides_shape": 'Give the parameters as an object of {"name": value}.',
    "unknown_parameter": "The job has no parameter “{name}”.",
    "single_value": "Give one value (a string, number or boolean), not a list or an object.",
}
ENABLED_PARAMETER = OpenApiParameter("enabled", bool, description="Only enabled (`true`) or disabled jobs.")
JOB_STATE_PARAMETER = OpenApiParameter(
    "state",
    str,
    description="Only jobs whose latest run is in this state, or in `active` or `final` states.",
    enum=STATE_PARAMETER.enum,
)


def get_job(request: Request, pk: int, action: str) -> SparkJob:
    return object_for(
        request, partial(get_job_for, jobs=SparkJob.objects.with_latest_run()), pk, action, "job"
    )


def saved(form: NewSparkJobForm | EditSparkJobForm) -> SparkJob:
    """The job the form saved; S3 refusing the notebook is an AWS failure, anything else a form error."""
    spark_job = save_job_form(form)
    if spark_job is not None:
        return spark_job
    stored = form.errors.as_data().get("__all__", [])
    failure = next((error for error in stored if error.code == "not_stored"), None)
    if failure is not None:
        raise AWSRefused(failure.messages[0])
    raise FormInvalid(form.errors)


#: Where a run's parameter overrides are in the request body (errors point under it).
OVERRIDES = "parameters"


def run_parameters(spark_job: SparkJob, request: Request) -> dict[str, Any]:
    """The run's parameter values: the job's defaults, with the request's overrides as Run now checks them."""
    body = request_values(request) if request.data else {}
    overrides = body.get(OVERRIDES) or {}
    if not isinstance(overrides, dict):
        raise FormInvalid({OVERRIDES: [MESSAGES["overrides_shape"]]})
    declared = {definition["name"] for definition in spark_job.parameters}
    errors = {
        f"{OVERRIDES}/{name}": [MESSAGES["unknown_parameter"].format(name=name)]
        for name in overrides
        if name not in declared
    }
    errors.update(
        {
            f"{OVERRIDES}/{name}": [MESSAGES["single_value"]]
            for name, value in overrides.items()
            if name in declared and isinstance(value, dict | list)
        }
    )
    if errors:
        raise FormInvalid(errors)
    form = bind_values(partial(RunNowForm, spark_job), overrides)
    if not form.is_valid():
        errors = {
            f"{OVERRIDES}/{name}": [str(message) for message in messages]
            for name, messages in form.errors.items()
        }
        raise FormInvalid(errors)
    return form.parameters


class SparkJobViewSet(ObjectViewSet[SparkJob]):
    """The user's own Spark jobs."""

    serializer_class = SparkJobSerializer

    def get_queryset(self) -> Any:
        jobs = (
            SparkJob.objects.filter(created_by=self.request.user)
            .select_related("created_by", "emr_release")
            .with_latest_run()
            .with_latest_run_summary()
        )
        enabled = self.request.query_params.get("enabled")
        if enabled is not None:
            jobs = jobs.filter(is_enabled=enabled.lower() in ("1", "true", "yes"))
        return filter_state(jobs, self.request, "latest_run_status")

    @extend_schema(parameters=[JOB_STATE_PARAMETER, ENABLED_PARAMETER])
    def list(self, request: Request) -> Response:
        """The user's jobs, newest first, each with its latest run."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": form_request(NewSparkJobForm)}, responses={201: SparkJobSerializer}
    )
    def create(self, request: Request) -> Response:
        """Schedule a job: form data with the ``notebook`` file; left-out fields take the page's defaults."""
        form = valid(bind(partial(NewSparkJobForm, request.user, initial=new_job_initial()), request))
        spark_job = saved(form)
        data = self.get_serializer(get_job(request, spark_job.pk, "view")).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])})

    def retrieve(self, request: Request, id: int) -> Response:
        """One job, with its latest run."""
        return Response(self.get_serializer(get_job(request, id, "view")).data)

    @extend_schema(
        request={
            "application/json": form_request(EditSparkJobForm),
            "multipart/form-data": form_request(EditSparkJobForm),
        }
    )
    def partial_update(self, request: Request, id: int) -> Response:
        """Change some of a job's settings, or its notebook (multipart); the identifier and release stay."""
        spark_job = get_job(request, id, "change")
        form = valid(bind(partial(EditSparkJobForm, request.user, instance=spark_job), request))
        saved(form)
        return Response(self.get_serializer(get_job(request, id, "view")).data)

    def destroy(self, request: Request, id: int) -> Response:
        """Delete the job with its notebook and schedule, stopping a run under way."""
        spark_job = get_job(request, id, "delete")
        deletion = spark_job.delete_safely()
        if deletion.outcome == Deletion.DELETED:
            bury(spark_job, request.user, object_id=id)
            return Response(status=status.HTTP_204_NO_CONTENT)
        detail = deletion_failure_message(deletion)
        raise Conflict(detail) if deletion.error is None else aws_error(deletion.error, detail)

    @extend_schema(request=RunNowRequestSerializer, responses={201: RunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, id: int) -> Response:
        """Start a run now, with ``parameters`` overriding the job's defaults for this run only."""
        spark_job = get_job(request, id, "change")
        over_budget = refusal_for(spark_job.created_by)  # the job's owner pays for its runs, as on the page
        if over_budget is not None:
            raise Conflict(over_budget)
        parameters = run_parameters(spark_job, request)
        try:
            result = spark_job.run_now(requested_by=request.user, parameters=parameters)
        except SparkJobNotFound as exc:
            raise exceptions.NotFound(f"There is no job with the id {id}.") from exc
        if result.outcome == RunNow.STARTED and result.run is not None:
            data = RunSerializer(result.run, context=self.get_serializer_context()).data
            return Response(data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])})
        if result.error is not None:
            raise aws_failure(result.error, "The run could not be started")
        if result.outcome == RunNow.REFUSED and result.run is not None:
            alert = result.run.alerts.order_by("-pk").first()
            raise AWSRefused(alert.reason_message if alert else RUN_NOW_REFUSALS[RunNow.REFUSED])
        raise Conflict(RUN_NOW_REFUSALS[result.outcome])

    @extend_schema(parameters=[STATE_PARAMETER], responses=RunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, id: int) -> Response:
        """The job's runs, newest first."""
        spark_job = get_job(request, id, "view")
        runs = filter_state(
            spark_job.runs.select_related("requested_by").prefetch_related("alerts"), request, "status"
        )
        page = self.paginate_queryset(runs)
        context = self.get_serializer_context()
        return self.get_paginated_response(RunSerializer(page, many=True, context=context).data)

    @extend_schema(responses=ResultsSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request: Request, id: int) -> Response:
        """The job's result files (``data``) and run logs (``logs``, newest first), with links."""
        spark_job = get_job(request, id, "view")
        try:
            links = result_links(spark_job)
        except AWSError as exc:
            raise aws_failure(exc, RESULTS_NOT_LISTED) from exc
        return Response(
            ResultsSerializer({group: [vars(link) for link in items] for group, items in links.items()}).data
        )


class RunViewSet(ObjectViewSet[SparkJobRun]):
    """One run of a job the user may see."""

    serializer_class = RunDetailSerializer
    queryset = SparkJobRun.objects.select_related("spark_job", "requested_by").prefetch_related("alerts")

    def retrieve(self, request: Request, id: int) -> Response:
        """One run, with why it failed and signed links to its outputs."""
        run = self.get_queryset().filter(pk=id).first()
        if run is None or not can_view(request.user, run.spark_job):
            raise exceptions.NotFound(f"There is no run with the id {id}.")
        return Response(self.get_serializer(run).data)
