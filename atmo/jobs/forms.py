"""Forms to schedule a Spark job, edit it, and check whether an identifier is free."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import get_valid_filename

from atmo.clusters.forms import ClusterSizeField, EMRReleaseChoiceField, IdentifierField
from atmo.clusters.models import max_cluster_size
from atmo.forms import CachedFileField, CachedFileModelFormMixin, CreatedByModelFormMixin, InlineRadioSelect
from atmo.jobs.models import MAX_RETRIES, SparkJob
from atmo.lib import parameters as job_parameters
from atmo.lib.notebooks import notebook_kind
from atmo.provisioners import AWSError, describe_aws_failure
from emr.atmo_runner.notebooks import NOT_JSON, NOT_JUPYTER, NOT_ZEPPELIN, NotebookProblem, check_notebook

logger = logging.getLogger(__name__)

MIN_TIMEOUT = 1
MAX_TIMEOUT = 24
#: A start date this far in the past still counts as "now" (the time to submit the form).
START_DATE_SLACK = timedelta(minutes=1)
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", DATETIME_FORMAT]

MESSAGES = {
    "identifier_required": "Give the job an identifier.",
    "identifier_taken": "A Spark job with this identifier already exists; please choose another one.",
    "description_required": "Describe what the job does, for you and the people who help you debug it.",
    "notebook_required": "Choose the notebook the job runs.",
    "parameters_shape": 'Give the parameters as a list of {"name", "type", "default"} objects.',
    "notebook_extension": "Only Jupyter (.ipynb) and Zeppelin (.json) notebooks can be uploaded.",
    "notebook_too_large": (
        "The notebook is %(size)s, more than the %(limit)s allowed. Clearing its outputs "
        "(in Jupyter: Edit → Clear Outputs of All Cells) usually makes it much smaller."
    ),
    # The runner checks a notebook with the same rules (and these words) before it runs it.
    "notebook_not_json": NOT_JSON,
    "notebook_not_jupyter": NOT_JUPYTER,
    "notebook_not_zeppelin": NOT_ZEPPELIN,
    "date_invalid": "Enter a date and time in UTC as YYYY-MM-DD HH:MM.",
    "start_required": "Give the date and time of the first run, in UTC as YYYY-MM-DD HH:MM.",
    "start_in_past": "The start date is in the past; choose a time from now on (UTC).",
    "start_moved_to_past": "You can only move the start date to a future date.",
    "end_before_start": "The end date must be after the start date.",
}


def validate_notebook(upload: UploadedFile) -> None:
    """Refuse anything but a Jupyter or Zeppelin notebook of a reasonable size that the runner can run.

    The size is the one Django counted while receiving the upload: an oversized
    file is refused before a byte of it is read into memory. The content is
    checked as the runner checks it (:func:`emr.atmo_runner.notebooks.check_notebook`):
    valid JSON, a valid notebook (nbformat), Python, with code; a Zeppelin note's
    paragraphs in PySpark, Python, SQL or Markdown.
    """
    kind = notebook_kind(upload.name or "")
    if kind is None:
        raise ValidationError(MESSAGES["notebook_extension"], code="extension")
    limit = settings.ATMO_MAX_NOTEBOOK_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            MESSAGES["notebook_too_large"],
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    upload.seek(0)
    try:
        check_notebook(kind, upload.read())
    except NotebookProblem as problem:
        raise ValidationError(problem.message, code=problem.code) from None
    finally:
        upload.seek(0)


def same_minute(first: datetime | None, second: datetime | None) -> bool:
    """The form shows dates to the minute: a date posted back unchanged is the same one."""
    if first is None or second is None:
        return first is second
    return first.replace(second=0, microsecond=0) == second.replace(second=0, microsecond=0)


class UTCDateTimeField(forms.DateTimeField):
    """A date and time typed as ``YYYY-MM-DD HH:MM`` (seconds optional), in UTC."""

    def __init__(self, **kwargs: Any) -> None:
        error_messages = {"invalid": MESSAGES["date_invalid"], **kwargs.pop("error_messages", {})}
        super().__init__(
            input_formats=DATETIME_INPUT_FORMATS,
            widget=forms.DateTimeInput(
                format=DATETIME_FORMAT,
                attrs={"placeholder": "YYYY-MM-DD HH:MM", "autocomplete": "off", "spellcheck": "false"},
            ),
            error_messages=error_messages,
            **kwargs,
        )


class IdentifierAvailabilityInput(forms.TextInput):
    """The identifier box, followed by the message the page's script shows when the name is taken.

    The script (``jobs-form.js``) asks ``jobs-identifier-available`` as the user types;
    the server checks again on submit.
    """

    template_name = "jobs/widgets/identifier_available.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        url = reverse_lazy("jobs-identifier-available")
        super().__init__({**(attrs or {}), "data-availability-url": url})


#: Empty rows the parameter table offers below the job's parameters, to add some without a script.
BLANK_PARAMETER_ROWS = 3


def posted_list(data: Any, key: str) -> list[str]:
    """Every value posted under ``key`` (a QueryDict's list; a plain dict's value or list)."""
    if hasattr(data, "getlist"):
        return [str(value) for value in data.getlist(key)]
    value = data.get(key)
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]


class ParametersWidget(forms.Widget):
    """The job's parameters as a table: a row per parameter (name, type, default), and blank rows to add more.

    Each column's inputs share one name (``<name>-name``, ``<name>-type``,
    ``<name>-default``), so the rows come back in page order. A row whose name and
    default are both empty is left out: that is how a parameter is removed.
    """

    template_name = "jobs/widgets/parameters.html"
    #: The API takes the rows as one JSON list instead (see :mod:`atmo.api.forms_bridge`).
    api_json_value = True

    def format_value(self, value: Any) -> list[dict[str, str]]:
        rows = [
            {"name": str(row.get("name", "")), "type": str(row.get("type", "")), "default": self.shown(row)}
            for row in (value if isinstance(value, list) else [])
            if isinstance(row, dict)
        ]
        return rows + [{"name": "", "type": "text", "default": ""}] * BLANK_PARAMETER_ROWS

    @staticmethod
    def shown(row: dict[str, Any]) -> str:
        """A row's default as typed: a stored (typed) default formatted, a posted one as it came."""
        default = row.get("default")
        if isinstance(default, str) or row.get("type") not in job_parameters.TYPES:
            return "" if default is None else str(default)
        return job_parameters.format_value(row["type"], default)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["types"] = job_parameters.TYPES.items()
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, str]]:
        columns = [posted_list(data, f"{name}-{part}") for part in ("name", "type", "default")]
        rows = [
            {"name": row_name.strip(), "type": type_name, "default": default}
            for row_name, type_name, default in itertools.zip_longest(*columns, fillvalue="")
        ]
        return [row for row in rows if row["name"] or row["default"].strip()]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # no rows is a value: the job has no parameters

    def id_for_label(self, id_: str) -> str:
        return f"{id_}-0-name" if id_ else id_


class ParametersField(forms.Field):
    """The job's notebook parameters, checked as :func:`atmo.lib.parameters.clean_definitions` does."""

    widget = ParametersWidget

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value or [], list) or not all(isinstance(row, dict) for row in value or []):
            raise ValidationError(MESSAGES["parameters_shape"], code="invalid")
        try:
            return job_parameters.clean_definitions(value or [])
        except job_parameters.ParameterError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True


RETRY_CHOICES = [(0, "Don't retry"), (1, "Once"), (2, "Twice"), (MAX_RETRIES, f"{MAX_RETRIES} times")]


class BaseSparkJobForm(CachedFileModelFormMixin, CreatedByModelFormMixin):
    """The fields a job's owner sets; saving uploads the notebook, then saves the job."""

    identifier = IdentifierField(
        required_message=MESSAGES["identifier_required"],
        help_text="A unique name for the job, also used in the AWS console and the S3 paths of its "
        "results. Lowercase letters, digits and hyphens.",
    )
    description = forms.CharField(
        label="Description",
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": MESSAGES["description_required"]},
        help_text="What the job does and who uses its results.",
    )
    notebook = CachedFileField(
        label="Notebook",
        required=True,
        widget=forms.FileInput(attrs={"accept": ".ipynb,.json"}),
        error_messages={"required": MESSAGES["notebook_required"]},
    )
    result_visibility = forms.ChoiceField(
        label="Result visibility",
        choices=SparkJob.RESULT_VISIBILITY_CHOICES,
        widget=InlineRadioSelect,
        help_text="Public results can be read by anyone with the link; private ones need AWS "
        "credentials or a short-lived link from this site.",
    )
    size = ClusterSizeField(noun="job", verb="runs on", label="Cluster size")
    interval_in_hours = forms.TypedChoiceField(
        label="Run interval",
        coerce=int,
        choices=SparkJob.INTERVAL_CHOICES,
        widget=InlineRadioSelect,
    )
    job_timeout = forms.IntegerField(
        label="Timeout in hours",
        min_value=MIN_TIMEOUT,
        max_value=MAX_TIMEOUT,
        widget=forms.NumberInput(attrs={"min": MIN_TIMEOUT, "max": MAX_TIMEOUT}),
        error_messages={
            "min_value": "The timeout is at least %(limit_value)s hour.",
            "max_value": "The timeout is at most %(limit_value)s hours.",
        },
        help_text=f"A run still going after this many hours ({MIN_TIMEOUT} to {MAX_TIMEOUT}) is "
        "stopped, and you get an email.",
    )
    start_date = UTCDateTimeField(
        label="Start date (UTC)", error_messages={"required": MESSAGES["start_required"]}
    )
    end_date = UTCDateTimeField(label="End date (UTC)", required=False)
    parameters = ParametersField(
        label="Parameters",
        required=False,
        help_text="Values the notebook gets in its cell tagged <code>parameters</code>, each run; "
        "Run now lets you change them for one run. Names are Python names; every run also gets "
        "<code>run_date</code>, <code>job_identifier</code>, <code>run_id</code> and "
        "<code>output_location</code>. Clear a row's name and default to remove it.",
    )
    retries = forms.TypedChoiceField(
        label="Retries",
        coerce=int,
        choices=RETRY_CHOICES,
        initial=0,
        required=False,
        empty_value=0,  # type: ignore[arg-type]  # django-stubs has it a str; coerce makes the rest ints
        help_text="A failed run is tried again this many times, "
        f"{settings.ATMO_JOB_RETRY_DELAY_SECONDS // 60 or 1} minute(s) after it failed, each attempt a run "
        "of its own. You get one email, about the last attempt.",
    )
    retry_timeouts = forms.BooleanField(
        label="Retry runs that timed out too",
        required=False,
        help_text="Off: a run stopped at the timeout is not tried again (it would likely time out again).",
    )

    class Meta:
        model = SparkJob
        fields = [
            "identifier",
            "description",
            "result_visibility",
            "size",
            "interval_in_hours",
            "job_timeout",
            "start_date",
            "end_date",
            "parameters",
            "retries",
            "retry_timeouts",
        ]

    # The notebook is not a model field: it goes after the description.
    field_order = [*Meta.fields[:2], "notebook", *Meta.fields[2:]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ClusterSizeField, self.fields["size"]).limit_to(max_cluster_size())
        self.fields["notebook"].help_text = (
            "A Jupyter notebook (.ipynb) or a Zeppelin note exported as .json, of at most "
            f"{filesizeformat(settings.ATMO_MAX_NOTEBOOK_BYTES)}."
        )
        now = f"{timezone.now():%Y-%m-%d %H:%M}"
        self.fields["start_date"].help_text = f"When the first run starts. It is now {now} UTC."
        self.fields["end_date"].help_text = "No run starts after this date. Leave it empty to run for ever."

    def clean_identifier(self) -> str:
        """Refuse an identifier another job has (a fixed one, on edit, is not checked)."""
        identifier = self.cleaned_data["identifier"]
        if self.fields["identifier"].disabled:
            return identifier
        if SparkJob.objects.filter(identifier=identifier).exclude(pk=self.instance.pk).exists():
            raise ValidationError(MESSAGES["identifier_taken"], code="unique")
        return identifier

    def clean_notebook(self) -> UploadedFile | None:
        """Check an uploaded notebook (see :func:`validate_notebook`) and make its name safe."""
        upload = self.cleaned_data.get("notebook")
        if not upload:
            return None
        validate_notebook(upload)
        # The name becomes part of an S3 key and of the download's file name.
        upload.name = get_valid_filename(upload.name)
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", ValidationError(MESSAGES["end_before_start"], code="order"))
        return cleaned

    def save(self, commit: bool = True) -> SparkJob:
        """Upload a new notebook, then save the job; raises AWSError when S3 refuses.

        The upload comes first so that a job never points at a notebook that is not
        there. When S3 refuses, nothing is saved and the form carries the reason.
        """
        spark_job: SparkJob = super().save(commit=False)
        previous_key = spark_job.notebook_s3_key
        upload = self.cleaned_data.get("notebook")
        if upload:
            try:
                spark_job.notebook_s3_key = spark_job.provisioner.add(spark_job.identifier, upload)
            except AWSError as exc:
                failure = describe_aws_failure(exc, "The notebook could not be stored", "Nothing was saved.")
                self.add_error(None, ValidationError(str(failure), code="not_stored"))
                raise
        if not commit:
            return spark_job
        with transaction.atomic():
            spark_job.save()
            self.save_m2m()
        if previous_key and previous_key != spark_job.notebook_s3_key:
            self._remove_replaced_notebook(spark_job, previous_key)
        return spark_job

    def _remove_replaced_notebook(self, spark_job: SparkJob, key: str) -> None:
        # A notebook of another name lands under another key: the old object would
        # stay behind for ever. The job is saved by now, so a failure only costs space.
        try:
            spark_job.provisioner.remove(key)
        except AWSError:
            logger.warning("replaced notebook not removed", extra={"spark_job_id": spark_job.pk, "key": key})


class NewSparkJobForm(BaseSparkJobForm):
    """Schedule a new job: every field, the EMR release too; the identifier is checked as it is typed."""

    prefix = "new"

    emr_release = EMRReleaseChoiceField()

    class Meta(BaseSparkJobForm.Meta):
        fields = [*BaseSparkJobForm.Meta.fields, "emr_release"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        identifier = self.fields["identifier"]
        identifier.widget = IdentifierAvailabilityInput(identifier.widget.attrs)

    def clean_start_date(self) -> datetime | None:
        """A new job starts now (give or take the time to submit) or later."""
        start = self.cleaned_data.get("start_date")
        if start is not None and start < timezone.now() - START_DATE_SLACK:
            raise ValidationError(MESSAGES["start_in_past"], code="past")
        return start


class EditSparkJobForm(BaseSparkJobForm):
    """The identifier (part of S3 paths) and the EMR release stay as they are."""

    prefix = "edit"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identifier"].disabled = True
        self.fields["identifier"].help_text = "The identifier cannot change: it names the job's S3 paths."
        notebook = self.fields["notebook"]
        notebook.real_required = False  # type: ignore[attr-defined]
        notebook.help_text = format_html(
            "Current notebook: <strong>{}</strong>. Choose a file only to replace it ({} at most).",
            self.instance.notebook_name,
            filesizeformat(settings.ATMO_MAX_NOTEBOOK_BYTES),
        )
        self.fields[
            "start_date"
        ].help_text += " Changing it starts the schedule over from the new date, which must be in the future."

    def clean_start_date(self) -> datetime | None:
        """Keep an unchanged start date as stored; a changed one must be in the future."""
        start = self.cleaned_data.get("start_date")
        if start is None:
            return start
        if same_minute(start, self.instance.start_date):
            # Unchanged: keep the stored value, seconds included, so the schedule is not restarted.
            return self.instance.start_date
        if start < timezone.now():
            raise ValidationError(MESSAGES["start_moved_to_past"], code="past")
        return start

    def clean_end_date(self) -> datetime | None:
        """Keep an unchanged end date as stored (the form shows it to the minute)."""
        end = self.cleaned_data.get("end_date")
        return self.instance.end_date if same_minute(end, self.instance.end_date) else end


class SparkJobAvailableForm(forms.Form):
    """The ``?identifier=`` of the availability check (:func:`atmo.jobs.views.check_identifier_available`)."""

    identifier = forms.CharField(required=True, max_length=100)


#: The input each parameter type gets: browsers check numbers and dates before the form is sent.
PARAMETER_WIDGETS: dict[str, Any] = {
    "text": lambda: forms.TextInput(),
    "integer": lambda: forms.NumberInput(attrs={"step": "1"}),
    "number": lambda: forms.NumberInput(attrs={"step": "any"}),
    "boolean": lambda: forms.Select(choices=[("true", "true"), ("false", "false")]),
    "date": lambda: forms.DateInput(attrs={"type": "date"}),
}


class ParameterField(forms.CharField):
    """One notebook parameter, as typed; cleans to its typed value (see :mod:`atmo.lib.parameters`)."""

    def __init__(self, type_name: str, **kwargs: Any) -> None:
        self.type_name = type_name
        kwargs.setdefault("widget", PARAMETER_WIDGETS[type_name]())
        # An empty text is a value; an empty number or date is not, which parse_value says.
        super().__init__(required=False, strip=type_name != "text", **kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        try:
            return job_parameters.parse_value(self.type_name, value)
        except job_parameters.ParameterError as exc:
            raise ValidationError(f"{str(exc)[0].upper()}{str(exc)[1:]}.", code="invalid") from None


class RunNowForm(forms.Form):
    """The confirmation of "Run now": a field per job parameter, its default filled in, for this run only."""

    def __init__(self, spark_job: SparkJob, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "run")
        super().__init__(*args, **kwargs)
        self.spark_job = spark_job
        for definition in spark_job.parameters:
            type_name = definition["type"]
            self.fields[definition["name"]] = ParameterField(
                type_name,
                label=definition["name"],
                initial=job_parameters.format_value(type_name, definition["default"]),
                help_text=f"{job_parameters.TYPES.get(type_name, type_name)}; default "
                f"{job_parameters.format_value(type_name, definition['default']) or '(empty)'}",
            )

    @property
    def parameters(self) -> dict[str, Any]:
        """The values this run gets: the defaults, with what was changed (once the form is valid)."""
        return self.spark_job.parameter_values(self.cleaned_data)
