"""Clusters (list, launch, show, extend, terminate) and the EMR releases to launch them with."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.html import strip_tags
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from atmo.api.endpoints.common import (
    STATE_PARAMETER,
    Conflict,
    ObjectViewSet,
    aws_failure,
    filter_state,
    object_for,
)
from atmo.api.forms_bridge import bind, valid
from atmo.api.problems import FormInvalid
from atmo.api.schema import form_request
from atmo.api.serializers import ClusterSerializer, EMRReleaseSerializer, OutcomeSerializer
from atmo.clusters.forms import ExtendClusterForm, NewClusterForm
from atmo.clusters.models import Cluster, EMRRelease
from atmo.clusters.tasks import provision_cluster
from atmo.clusters.views import (
    DEACTIVATION_MESSAGES,
    NO_KEY_MESSAGE,
    NOT_EXTENDABLE_MESSAGE,
    already_ending_message,
    get_cluster_for,
    is_changeable,
    new_cluster_initial,
)
from atmo.provisioners import AWSError


class ClusterViewSet(ObjectViewSet[Cluster]):
    """The user's own clusters."""

    serializer_class = ClusterSerializer

    def get_queryset(self) -> Any:
        clusters = Cluster.objects.filter(created_by=self.request.user).select_related("emr_release")
        return filter_state(clusters, self.request, "most_recent_status")

    def get_cluster(self, action: str) -> Cluster:
        return object_for(self.request, get_cluster_for, self.kwargs["id"], action, "cluster")

    @extend_schema(parameters=[STATE_PARAMETER])
    def list(self, request: Request) -> Response:
        """The user's clusters, newest first."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=form_request(NewClusterForm), responses={201: ClusterSerializer})
    def create(self, request: Request) -> Response:
        """Launch a cluster; a field left out takes the launch page's default (e.g. the newest key)."""
        user = request.user
        if not user.created_sshkeys.exists():
            raise FormInvalid({"ssh_key": [NO_KEY_MESSAGE]})
        form = valid(bind(partial(NewClusterForm, user, initial=new_cluster_initial(user)), request))
        cluster = form.save()
        # The worker must find the row: enqueue only once it is committed.
        provision_cluster.delay_on_commit(cluster.pk)
        data = self.get_serializer(cluster).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])})

    def retrieve(self, request: Request, id: int) -> Response:
        """One cluster."""
        return Response(self.get_serializer(self.get_cluster("view")).data)

    @extend_schema(request=form_request(ExtendClusterForm), responses=ClusterSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, id: int) -> Response:
        """Push the cluster's expiry back by ``extension`` hours (8 when left out)."""
        cluster = self.get_cluster("change")
        if not is_changeable(cluster):
            raise Conflict(NOT_EXTENDABLE_MESSAGE)
        form = valid(bind(ExtendClusterForm, request))
        cluster.extend(form.cleaned_data["extension"])
        return Response(self.get_serializer(cluster).data)

    @extend_schema(request=None, responses={202: OutcomeSerializer})
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, id: int) -> Response:
        """Terminate the cluster at EMR (or withdraw a request EMR has not started yet)."""
        cluster = self.get_cluster("delete")
        if not is_changeable(cluster):
            raise Conflict(strip_tags(already_ending_message(cluster)))
        try:
            outcome = cluster.deactivate()
        except AWSError as exc:
            raise aws_failure(exc, "The cluster could not be terminated", "Nothing was changed.") from exc
        detail = strip_tags(DEACTIVATION_MESSAGES[outcome].format(cluster))
        return Response({"outcome": outcome.value, "detail": detail}, status=status.HTTP_202_ACCEPTED)


class EMRReleaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[EMRRelease]):
    """The EMR releases users may launch with, newest first (one short list, not paginated)."""

    serializer_class = EMRReleaseSerializer
    pagination_class = None
    queryset = EMRRelease.objects.active().natural_sort_by_version()
