"""The site's URLs plus views that fail on purpose, for the error-reporting tests."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from atmo.urls import handler403, handler500
from atmo.urls import urlpatterns as site_urlpatterns

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bmNoLWJ5LXRoZS1zZWEtbm90LWEtcmVhbC1rZXk tester@example.com"
PRESIGNED = (
    "https://atmo-private-data.s3.amazonaws.com/r.ipynb?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLE%2F20261207&X-Amz-Signature=deadbeefcafe"
)


@csrf_exempt
def explode(request: HttpRequest) -> HttpResponse:
    """An unexpected error whose message carries what must never reach Sentry."""
    raise RuntimeError(f"could not install {SSH_KEY} nor fetch {PRESIGNED}")


def forbid(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("not yours")


urlpatterns = [path("explode/", explode), path("forbid/", forbid), *site_urlpatterns]

__all__ = ["handler403", "handler500", "urlpatterns"]
