"""The site's URLs: the dashboard, each app under its prefix, the admin and the OIDC views.

The dockerflow endpoints (``/__version__``, ``/__heartbeat__``,
``/__lbheartbeat__``) are answered by its middleware, before these patterns.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView, TemplateView

from atmo import devmail, views
from atmo.api.problems import not_found
from atmo.users.views import admin_login

# The admin uses the same single sign-on: its password form only exists while
# the break-glass setting is on (see atmo.users.views.admin_login).
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.site_header = "ATMO administration"
admin.site.site_title = "ATMO admin"

handler403 = "atmo.views.permission_denied"
handler500 = "atmo.views.server_error"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("atmo.api.urls")),
    path("api/", include([re_path(r"^.*$", not_found)])),
    path("tokens/", include("atmo.api.token_urls")),
    path("webhooks/", include("atmo.notifications.urls")),
    path("clusters/", include("atmo.clusters.urls")),
    path("jobs/", include("atmo.jobs.urls")),
    path("keys/", include("atmo.keys.urls")),
    path("news/", include("atmo.news.urls")),
    path("users/", include("atmo.users.urls")),
    path("", include("atmo.monitoring.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    # Browsers ask for it whatever the page says; the icon is an SVG.
    path("favicon.ico", RedirectView.as_view(url="/favicon.svg", permanent=True)),
    # The mails a development site wrote to files (a 404 anywhere else).
    path("dev/mail/", devmail.mail_list, name="dev-mail"),
    path("dev/mail/<str:file_name>/<int:index>/", devmail.mail_html, name="dev-mail-html"),
    # Previews of the error pages, for designers.
    path("404/", TemplateView.as_view(template_name="404.html")),
    path("500/", TemplateView.as_view(template_name="500.html")),
]
