"""The user's SSH keys: list, add, show, delete."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from atmo.api.endpoints.common import ObjectViewSet, object_for
from atmo.api.forms_bridge import bind, valid
from atmo.api.problems import FormInvalid
from atmo.api.schema import form_request
from atmo.api.serializers import SSHKeySerializer
from atmo.keys.forms import SSHKeyForm
from atmo.keys.models import SSHKey
from atmo.keys.views import get_key_for
from atmo.tombstones import bury


class SSHKeyViewSet(ObjectViewSet[SSHKey]):
    """The user's own public SSH keys."""

    serializer_class = SSHKeySerializer

    def get_queryset(self) -> Any:
        return SSHKey.objects.filter(created_by=self.request.user)

    def list(self, request: Request) -> Response:
        """The user's keys, newest first."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=form_request(SSHKeyForm), responses={201: SSHKeySerializer})
    def create(self, request: Request) -> Response:
        """Add a key (``key`` as text, or ``key_file`` uploaded); ``title`` defaults to the key's comment."""
        form = valid(bind(partial(SSHKeyForm, request.user), request))
        try:
            with transaction.atomic():
                ssh_key = form.save()
        except IntegrityError:
            # The same key or title sent twice at once: both passed the form's checks.
            raise FormInvalid(form.conflict_errors()) from None
        data = self.get_serializer(ssh_key).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": str(data["url"])})

    def retrieve(self, request: Request, id: int) -> Response:
        """One key."""
        return Response(self.get_serializer(object_for(request, get_key_for, id, "view", "SSH key")).data)

    def destroy(self, request: Request, id: int) -> Response:
        """Delete a key; clusters launched with it keep running."""
        ssh_key = object_for(request, get_key_for, id, "delete", "SSH key")
        ssh_key.delete()
        bury(ssh_key, request.user, object_id=id)
        return Response(status=status.HTTP_204_NO_CONTENT)
