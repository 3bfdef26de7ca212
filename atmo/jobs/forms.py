"""Forms to schedule a Spark job, edit it, and check whether an identifier is free."""

from __future__ import annotations

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
from atmo.jobs.models import SparkJob
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

    field_order = [
        "identifier",
        "description",
        "notebook",
        "result_visibility",
        "size",
        "interval_in_hours",
        "job_timeout",
        "start_date",
        "end_date",
    ]

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
        ]

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
        """Require the end date, when there is one, to come after the start date."""
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
