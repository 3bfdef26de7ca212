"""The API's URLs, under ``/api/v1/``: the resources, the OpenAPI document and its reference page."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from atmo.api.endpoints.clusters import ClusterViewSet, EMRReleaseViewSet
from atmo.api.endpoints.jobs import RunViewSet, SparkJobViewSet
from atmo.api.endpoints.keys import SSHKeyViewSet
from atmo.api.endpoints.webhooks import WebhookEndpointViewSet
from atmo.api.problems import not_found

router = SimpleRouter(use_regex_path=False)
router.register("clusters", ClusterViewSet, basename="api-cluster")
router.register("emr-releases", EMRReleaseViewSet, basename="api-emr-release")
router.register("ssh-keys", SSHKeyViewSet, basename="api-ssh-key")
router.register("jobs", SparkJobViewSet, basename="api-job")
router.register("runs", RunViewSet, basename="api-run")
router.register("webhooks", WebhookEndpointViewSet, basename="api-webhook")

urlpatterns = [
    *router.urls,
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    # Any other URL under /api/ is a problem document too, not the site's HTML 404 page.
    re_path(r"^.*$", not_found),
]
