"""Abstract model bases and model helpers shared by the ATMO apps."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm

from atmo.lib.emr import normalized_instance_hours, seconds_between
from atmo.provisioners import AWSError, JobFlowInfo, JobFlowNotFound, Provisioner
from atmo.stats.models import Metric

logger = logging.getLogger(__name__)


class EditedAtModel(models.Model):
    """Adds ``created_at`` and ``modified_at``; the latter is refreshed on every save."""

    created_at = models.DateTimeField(editable=False, blank=True, default=timezone.now)
    modified_at = models.DateTimeField(editable=False, blank=True, default=timezone.now)

    class Meta:
        abstract = True
        get_latest_by = "modified_at"
        ordering = ("-modified_at", "-created_at")

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save with ``modified_at`` set to now, also when only ``update_fields`` are saved."""
        self.modified_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "modified_at" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "modified_at"]
        super().save(*args, **kwargs)


class CreatedByModel(models.Model):
    """Records the owner and grants them view, change and delete object permissions."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="created_%(class)ss",
        help_text="User that created the instance.",
    )

    OWNER_PERMISSIONS = ("view", "change", "delete")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; on creation, grant the owner the :attr:`OWNER_PERMISSIONS` on the new row."""
        is_new = self._state.adding
        super().save(*args, **kwargs)
        # Only on creation: the owner never changes afterwards, and granting again on
        # every save would cost three queries per save for nothing.
        if is_new:
            for perm in self.OWNER_PERMISSIONS:
                self.assign_permission(self.created_by, perm)

    def assign_permission(self, user: Any, perm: str) -> None:
        assign_perm(f"{perm}_{self._meta.model_name}", user, self)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Delete; once that is committed, every object permission on the row goes too.

        guardian's rows point at the object by a string key, so nothing cascades;
        a leftover row would be a grant on whatever reuses the key.
        """
        forget = partial(forget_object_permissions, type(self), self.pk)
        deleted = super().delete(*args, **kwargs)
        transaction.on_commit(forget)
        return deleted


def forget_object_permissions(model: type[models.Model], pk: Any) -> None:
    content_type = ContentType.objects.get_for_model(model)
    for permission_model in (UserObjectPermission, GroupObjectPermission):
        permission_model.objects.filter(content_type=content_type, object_pk=str(pk)).delete()


class ObjectURLs:
    """``obj.urls.<action>``: the URL of each of a :class:`URLActionModel`'s actions, made when asked."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> str:
        actions = {action.replace("-", "_"): action for action in self._obj.url_actions}
        if name not in actions:
            raise AttributeError(name)
        return self._obj.url_for(actions[name])

    def __iter__(self) -> Iterator[str]:
        return (self._obj.url_for(action) for action in self._obj.url_actions)


#: Stand-in ids that reverse() accepts for ``<int:...>`` and ``<str:...>`` converters alike.
URL_PLACEHOLDERS = tuple(str(8642097531 + i) for i in range(4))


@dataclass(frozen=True)
class URLPattern:
    """A reversed URL cut around its keyword arguments: ``parts[0] kwarg parts[1] kwarg ...``."""

    parts: tuple[str, ...]

    def fill(self, *values: Any) -> str:
        filled = [self.parts[0]]
        for value, part in zip(values, self.parts[1:], strict=True):
            filled += [quote(str(value), safe=""), part]
        return "".join(filled)


_url_patterns: dict[tuple[Any, ...], URLPattern] = {}


def url_pattern(name: str, *kwargs: str) -> URLPattern:
    """The URL pattern ``name`` reversed once, with placeholders for ``kwargs``; cached.

    Lists showed every row's actions: a reverse() per action per row was a third
    of a dashboard's time (issue 10). The key holds the URLconf and the script
    prefix, so tests that swap the URLconf and sites under a path prefix stay right.
    """
    key = (name, kwargs, get_urlconf(), str(settings.ROOT_URLCONF), get_script_prefix())
    pattern = _url_patterns.get(key)
    if pattern is None:
        url = reverse(name, kwargs=dict(zip(kwargs, URL_PLACEHOLDERS, strict=False)))
        parts = []
        for placeholder in URL_PLACEHOLDERS[: len(kwargs)]:
            before, _, url = url.partition(placeholder)
            parts.append(before)
        pattern = _url_patterns[key] = URLPattern((*parts, url))
    return pattern


class URLActionModel(models.Model):
    """Gives a model ``urls.<action>`` for URL patterns named ``<prefix>-<action>``."""

    #: The prefix of the URL pattern names, e.g. ``"clusters"``.
    url_prefix: str | None = None
    #: The actions with a URL pattern, e.g. ``["detail", "extend"]``.
    url_actions: list[str] = []
    #: What joins the prefix and the action in the pattern name.
    url_delimiter = "-"
    #: The keyword argument of the URL patterns.
    url_kwarg_name = "id"
    #: The model field that fills the keyword argument.
    url_field_name = "id"

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return self.url_for("detail")

    def url_for(self, action: str) -> str:
        if self.url_prefix is None:
            raise ImproperlyConfigured(f"{type(self).__name__}.url_prefix is not set")
        name = f"{self.url_prefix}{self.url_delimiter}{action}"
        return url_pattern(name, self.url_kwarg_name).fill(getattr(self, self.url_field_name))

    @cached_property
    def urls(self) -> ObjectURLs:
        """The object's URLs as attributes, one per :attr:`url_actions` entry (``urls.detail``).

        A hyphen in an action becomes an underscore in the attribute name. Each
        pattern is reversed once per process, not once per row: see :func:`url_pattern`.
        """
        return ObjectURLs(self)


class PermissionMigrator:
    """Grants or revokes an object permission on every existing row, for data migrations.

    Give either ``user_field`` (the row's field holding the user to grant) or
    ``group`` (a group instance from the migration's ``apps``).
    """

    def __init__(
        self,
        apps: Any,
        model: type[models.Model],
        perm: str,
        user_field: str | None = None,
        group: Any = None,
    ) -> None:
        if (user_field is None) == (group is None):
            raise ValueError("give exactly one of user_field and group")
        self.apps = apps
        self.model = model
        self.perm = perm
        self.user_field = user_field
        self.group = group
        content_type_model = apps.get_model("contenttypes", "ContentType")
        permission_model = apps.get_model("auth", "Permission")
        self.content_type = content_type_model.objects.get_for_model(model)
        self.permission, _ = permission_model.objects.get_or_create(
            content_type=self.content_type,
            codename=perm,
            defaults={"name": perm.replace("_", " ").capitalize()},
        )
        if user_field:
            self.object_permission_model = apps.get_model("guardian", "UserObjectPermission")
        else:
            self.object_permission_model = apps.get_model("guardian", "GroupObjectPermission")

    def _rows(self) -> Iterator[dict[str, Any]]:
        for obj in self.model._default_manager.all():
            row: dict[str, Any] = {
                "permission": self.permission,
                "content_type": self.content_type,
                "object_pk": str(obj.pk),
            }
            if self.user_field:
                row["user"] = getattr(obj, self.user_field)
            else:
                row["group"] = self.group
            yield row

    def assign(self) -> None:
        """Grant the permission on every row of the model (rows already there are kept)."""
        for row in self._rows():
            self.object_permission_model.objects.get_or_create(**row)

    def remove(self) -> None:
        for row in self._rows():
            self.object_permission_model.objects.filter(**row).delete()


def next_field_value(
    model_cls: type[models.Model],
    field_name: str,
    field_value: str,
    start: int = 2,
    separator: str = "-",
    max_length: int = 0,
    queryset: QuerySet[Any] | None = None,
) -> str:
    """A value for ``field_name`` not yet taken, made by appending a counter.

    ``curie`` becomes ``curie-2``, then ``curie-3``…; a value that already ends in
    a counter (``curie-7``) is counted on from its base. The result fits the
    field's ``max_length`` (or ``max_length`` when smaller), shortening the base.
    """
    field = model_cls._meta.get_field(field_name)
    limits = [n for n in (max_length, getattr(field, "max_length", None)) if n]
    limit = min(limits) if limits else 0
    if queryset is None:
        queryset = model_cls._default_manager.all()

    base, _, suffix = field_value.rpartition(separator)
    if not (base and suffix.isdigit()):
        base = field_value

    value = field_value
    counter = start
    while not value or queryset.filter(**{field_name: value}).exists():
        tail = f"{separator}{counter}"
        head = base[: limit - len(tail)] if limit else base
        value = f"{head}{tail}"
        counter += 1
    return value


def apply_changes(obj: models.Model, values: dict[str, Any]) -> dict[str, Any]:
    """Set each field whose new value is known (not None) and differs from the current one.

    Returns the changed fields with their previous values, so a caller can tell,
    say, a first ``ready_at`` from a corrected one.
    """
    previous = {}
    for field, value in values.items():
        current = getattr(obj, field)
        if value is not None and value != current:
            previous[field] = current
            setattr(obj, field, value)
    return previous


class JobFlowState(models.TextChoices):
    """The state of a job flow: EMR's cluster states, and ATMO's own before EMR has it.

    https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-overview.html#emr-overview-cluster-lifecycle
    """

    #: ATMO's own: the request is saved, EMR has not accepted it (yet).
    REQUESTED = "REQUESTED", "Requested"
    STARTING = "STARTING", "Starting"
    BOOTSTRAPPING = "BOOTSTRAPPING", "Bootstrapping"
    RUNNING = "RUNNING", "Running"
    WAITING = "WAITING", "Waiting"
    TERMINATING = "TERMINATING", "Terminating"
    TERMINATED = "TERMINATED", "Terminated"
    TERMINATED_WITH_ERRORS = "TERMINATED_WITH_ERRORS", "Terminated with errors"


class StateChangeReason(models.TextChoices):
    """Why EMR (or ATMO, for a job flow that never started) changed a job flow's state."""

    INTERNAL_ERROR = "INTERNAL_ERROR", "Internal error"
    VALIDATION_ERROR = "VALIDATION_ERROR", "Validation error"
    INSTANCE_FAILURE = "INSTANCE_FAILURE", "Instance failure"
    BOOTSTRAP_FAILURE = "BOOTSTRAP_FAILURE", "Bootstrap failure"
    USER_REQUEST = "USER_REQUEST", "User request"
    STEP_FAILURE = "STEP_FAILURE", "Step failure"
    ALL_STEPS_COMPLETED = "ALL_STEPS_COMPLETED", "All steps completed"


def job_flow_state_field(help_text: str) -> models.CharField:
    """The column of a :class:`JobFlowModel` that holds its :class:`JobFlowState`.

    Each kind keeps the name it always had (``Cluster.most_recent_status``,
    ``SparkJobRun.status``) and names it in ``STATE_FIELD``. Empty before anything
    was requested.
    """
    return models.CharField(
        max_length=50,
        default="",
        blank=True,
        db_index=True,
        choices=JobFlowState,
        help_text=help_text,
    )


JobFlow = TypeVar("JobFlow", bound="JobFlowModel")


class JobFlowModel(EditedAtModel):
    """A row that mirrors one EMR job flow: an on-demand cluster, or the cluster of a job run.

    Holds the job flow's id, state and timeline, copies EMR's view onto them
    (:meth:`sync`, one row at a time or for many rows from one listing with
    :meth:`sync_from_listing`), records the metrics of the moments it reaches,
    and ends the row when EMR forgets the job flow (:meth:`mark_gone`).
    Subclasses declare their state column and say what else a sync or an
    ending changes on them.
    """

    State = JobFlowState
    Reason = StateChangeReason

    #: Requested, on its way up, up, or shutting down: not over yet.
    ACTIVE: ClassVar[frozenset[str]] = frozenset(
        {
            State.REQUESTED,
            State.STARTING,
            State.BOOTSTRAPPING,
            State.RUNNING,
            State.WAITING,
            State.TERMINATING,
        }
    )
    #: Up: EMR runs steps, or waits for them.
    READY: ClassVar[frozenset[str]] = frozenset({State.RUNNING, State.WAITING})
    #: Over, well or badly; EMR's view of it no longer changes.
    FINAL: ClassVar[frozenset[str]] = frozenset({State.TERMINATED, State.TERMINATED_WITH_ERRORS})
    #: Reasons that mean something went wrong (the owner of a job is mailed about them).
    FAILURE_REASONS: ClassVar[frozenset[str]] = frozenset(
        {
            Reason.INTERNAL_ERROR,
            Reason.VALIDATION_ERROR,
            Reason.INSTANCE_FAILURE,
            Reason.BOOTSTRAP_FAILURE,
            Reason.STEP_FAILURE,
        }
    )
    #: A job flow missing from EMR's listing this long after its request is gone for
    #: good (one just started may not be listed yet).
    MISSING_GRACE: ClassVar[timedelta] = timedelta(minutes=10)

    #: The name of the subclass's :func:`job_flow_state_field`.
    STATE_FIELD: ClassVar[str]
    #: The provisioner whose EMR calls describe, list and stop this kind of job flow.
    provisioner_class: ClassVar[type[Provisioner]]
    #: The first word of the metrics this kind records, e.g. ``"cluster"``.
    metric_prefix: ClassVar[str]
    #: How a job flow EMR no longer knows ends (see :meth:`mark_gone`).
    GONE_STATE: ClassVar[str]
    GONE_MESSAGE: ClassVar[str]

    jobflow_id = models.CharField(
        max_length=50, blank=True, null=True, help_text="EMR's id of the job flow, once EMR accepted it."
    )
    started_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time when the cluster was started on AWS EMR."
    )
    ready_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time when the cluster was ready to run steps on AWS EMR."
    )
    finished_at = models.DateTimeField(
        blank=True, null=True, help_text="Date/time when the cluster was terminated or failed on AWS EMR."
    )
    normalized_instance_hours = models.PositiveIntegerField(
        blank=True,
        null=True,
        help_text="EMR's normalized instance hours so far, as the status sync last read them.",
    )
    cost = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        blank=True,
        null=True,
        help_text="USD: the normalized instance hours at the price table's prices (atmo.costs).",
    )
    #: The number of worker nodes (each subclass declares the column).
    size: int | None

    class Meta:
        abstract = True

    @property
    def state(self) -> str:
        """The job flow's :class:`JobFlowState` ("" before anything was requested)."""
        return getattr(self, self.STATE_FIELD)

    @state.setter
    def state(self, value: str) -> None:
        setattr(self, self.STATE_FIELD, value)

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def is_failed(self) -> bool:
        """Ended with errors, or never started (TERMINATED_WITH_ERRORS)."""
        return self.state == self.State.TERMINATED_WITH_ERRORS

    @property
    def is_starting(self) -> bool:
        return self.state == self.State.REQUESTED and not self.jobflow_id

    @property
    def provisioner(self) -> Provisioner:
        return self.provisioner_class()

    @property
    def info(self) -> JobFlowInfo:
        """What EMR says about the job flow now (DescribeCluster).

        Raises :class:`~atmo.provisioners.JobFlowNotFound` when EMR no longer knows
        it, or was never asked for it (the row has no job flow id).
        """
        if not self.jobflow_id:
            raise JobFlowNotFound(f"{self} has no job flow id: EMR was never asked for it")
        return self.provisioner.info(self.jobflow_id)

    def sync(self, info: JobFlowInfo | None = None) -> bool:
        """Copy EMR's view of the job flow onto the row; returns whether anything changed.

        Without ``info`` EMR is asked (DescribeCluster), and a job flow it no longer
        knows is marked gone. The metrics of the moments first reached are recorded,
        and :meth:`synced` does what the subclass adds, in the same transaction.
        """
        if not self.jobflow_id:
            return False
        if info is None:
            try:
                info = self.info
            except JobFlowNotFound:
                self.mark_gone()
                return True
        previous = apply_changes(self, self.fields_from(info))
        if not previous:
            return False
        with transaction.atomic():
            self.save(update_fields=list(previous))
            self._after_sync(previous, info)
        return True

    def _after_sync(self, previous: dict[str, Any], info: JobFlowInfo) -> None:
        """What follows a sync that changed ``previous`` (field: old value) once the row is written."""
        self._record_metrics(
            newly_ready=previous.get("ready_at", False) is None,
            newly_finished=previous.get("finished_at", False) is None,
        )
        self.synced(previous, info)

    @classmethod
    def sync_many(cls, listed: Sequence[tuple[JobFlow, JobFlowInfo]]) -> None:
        """:meth:`sync` each row from its info, writing the changed rows in bulk.

        An unchanged row costs no query. The changed rows are written by one UPDATE for
        each set of fields that changed (a row's other columns are left as they are in
        the database, as :meth:`sync` leaves them), then each gets its metrics and
        :meth:`synced`, all in one transaction.
        """
        by_fields: dict[tuple[str, ...], list[JobFlow]] = {}
        changed = []
        for row, info in listed:
            previous = apply_changes(row, row.fields_from(info))
            if previous:
                by_fields.setdefault(tuple(sorted(previous)), []).append(row)
                changed.append((row, previous, info))
        if not changed:
            return
        now = timezone.now()
        with transaction.atomic():
            for fields, rows in by_fields.items():
                for row in rows:
                    row.modified_at = now
                cls._default_manager.bulk_update(rows, [*fields, "modified_at"])
            with Metric.batched():
                for row, previous, info in changed:
                    row._after_sync(previous, info)

    def fields_from(self, info: JobFlowInfo) -> dict[str, Any]:
        """The row's fields as ``info`` has them (None for what it does not know)."""
        from atmo.costs.models import cost_of  # the costs app builds on this module

        return {
            self.STATE_FIELD: info.state,
            "started_at": info.creation_datetime,
            "ready_at": info.ready_datetime,
            "finished_at": info.end_datetime,
            "normalized_instance_hours": info.normalized_instance_hours,
            "cost": cost_of(info.normalized_instance_hours, self.size),
        }

    def synced(self, previous: dict[str, Any], info: JobFlowInfo) -> None:
        """Hook: what else a sync that changed ``previous`` (field: old value) does."""

    def metric_data(self) -> dict[str, Any]:
        return {"size": self.size, "jobflow_id": self.jobflow_id}

    def _record_metrics(self, newly_ready: bool, newly_finished: bool) -> None:
        data = self.metric_data()
        if newly_ready and self.started_at and self.ready_at and not self.finished_at:
            seconds = seconds_between(self.started_at, self.ready_at)
            Metric.record(f"{self.metric_prefix}-time-to-ready", seconds, data=data)
        if newly_finished and self.started_at and self.finished_at:
            hours = normalized_instance_hours(self.started_at, self.finished_at, self.size)
            Metric.record(f"{self.metric_prefix}-normalized-instance-hours", hours, data=data)

    def end(self, state: str, message: str, reason_code: str = StateChangeReason.INTERNAL_ERROR) -> None:
        """Record that the job flow is over (or never started) in ``state``, and why."""
        self.state = state
        self.finished_at = self.finished_at or timezone.now()
        with transaction.atomic():
            noted = self.note_ending(reason_code, message)
            self.save(update_fields=[self.STATE_FIELD, "finished_at", *noted])

    def note_ending(self, reason_code: str, message: str) -> list[str]:
        """Hook: keep why the job flow ended; returns the fields of the row it changed."""
        return []

    def mark_failed(self, message: str, reason_code: str = StateChangeReason.INTERNAL_ERROR) -> None:
        self.end(self.State.TERMINATED_WITH_ERRORS, message, reason_code)

    def mark_gone(self) -> None:
        """EMR no longer knows the job flow: it is over, whatever we last heard."""
        self.end(self.GONE_STATE, self.GONE_MESSAGE)

    @classmethod
    def sync_from_listing(cls, rows: Sequence[JobFlow]) -> list[JobFlow]:
        """Sync each row from one EMR listing; returns the rows synced from EMR's view, in their order.

        ``rows`` must be ordered oldest first and have job flow ids. EMR lists
        every job flow since midnight of the oldest row's day, one ListClusters
        call per 50 (its CreatedAfter filter is coarse anyway); the rows of each
        page are synced as it comes (:meth:`sync_many`: the changed ones written in
        bulk, the others untouched). A row missing from the listing once
        :attr:`MISSING_GRACE` has passed since its request is looked up directly
        (one DescribeCluster): it is marked gone only when EMR says it does not know
        it, and synced from the answer otherwise. Raises
        :class:`~atmo.provisioners.AWSError` when EMR cannot list a page (the pages
        before it stay synced, nothing else is changed); a failed lookup leaves its
        row for the next sweep.
        """
        if not rows:
            return []
        created_after = rows[0].created_at.replace(hour=0, minute=0, second=0, microsecond=0)
        unlisted: dict[str, list[JobFlow]] = {}
        for row in rows:
            unlisted.setdefault(row.jobflow_id or "", []).append(row)
        synced: list[JobFlow] = []
        for page in cls.provisioner_class().list_pages(created_after):
            listed = [(row, info) for info in page for row in unlisted.pop(info.jobflow_id, [])]
            cls.sync_many(listed)
            synced.extend(row for row, _info in listed)
        missing_since = timezone.now() - cls.MISSING_GRACE
        for row in (row for missing in unlisted.values() for row in missing):
            if row.created_at >= missing_since:
                continue
            info = row.look_up_missing()
            if info is not None:
                row.sync(info)
                synced.append(row)
        order = {id(row): number for number, row in enumerate(rows)}
        return sorted(synced, key=lambda row: order[id(row)])

    def look_up_missing(self) -> JobFlowInfo | None:
        """Ask EMR about a job flow its listing left out; marks it gone if EMR does not know it.

        Returns what EMR says when it still knows the job flow, None otherwise (or
        when it could not be asked: the next sweep asks again).
        """
        context = {"model": self._meta.label, "pk": self.pk, "jobflow_id": self.jobflow_id}
        try:
            return self.info
        except JobFlowNotFound:
            logger.info("job flow no longer known to EMR", extra=context)
            self.mark_gone()
        except AWSError as exc:
            logger.warning(
                "job flow missing from the listing not looked up", extra={**context, "code": exc.code}
            )
        return None


# A concrete model of the atmo app, kept in its own module; imported here so
# that Django registers it with the app's models.
from atmo.tombstones import Tombstone  # noqa: E402, F401
