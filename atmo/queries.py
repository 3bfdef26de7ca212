"""The QuerySet every job flow model's QuerySet extends (see :class:`atmo.models.JobFlowModel`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from atmo.models import JobFlowModel

JobFlowT = TypeVar("JobFlowT", bound="JobFlowModel")


class JobFlowQuerySet(models.QuerySet[JobFlowT]):
    """Filters job flows by the state EMR last reported; the model names the state column."""

    def _in_states(self, states: frozenset[str] | set[str]) -> Self:
        return self.filter(**{f"{self.model.STATE_FIELD}__in": states})

    def active(self) -> Self:
        return self._in_states(self.model.ACTIVE)

    def final(self) -> Self:
        return self._in_states(self.model.FINAL)

    def terminated(self) -> Self:
        return self._in_states({self.model.State.TERMINATED})

    def failed(self) -> Self:
        """Ended with errors, or never started (TERMINATED_WITH_ERRORS)."""
        return self._in_states({self.model.State.TERMINATED_WITH_ERRORS})

    def provisioned(self) -> Self:
        """Job flows EMR knows about (they have a job flow id)."""
        return self.exclude(jobflow_id__isnull=True).exclude(jobflow_id="")

    def requested(self) -> Self:
        """Requests EMR has not seen yet: still REQUESTED, without a job flow id."""
        unprovisioned = Q(jobflow_id__isnull=True) | Q(jobflow_id="")
        return self.filter(unprovisioned, **{self.model.STATE_FIELD: self.model.State.REQUESTED})
