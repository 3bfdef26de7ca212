"""URLs of the Spark job pages, under ``/jobs/``."""

from __future__ import annotations

from django.urls import path

from atmo.jobs import views

urlpatterns = [
    path("", views.list_spark_jobs, name="jobs-list"),
    path("new/", views.new_spark_job, name="jobs-new"),
    path("identifier-available/", views.check_identifier_available, name="jobs-identifier-available"),
    path("<int:id>/", views.detail_spark_job, name="jobs-detail"),
    path("<int:id>/edit/", views.edit_spark_job, name="jobs-edit"),
    path("<int:id>/delete/", views.delete_spark_job, name="jobs-delete"),
    path("<int:id>/download/", views.download_spark_job, name="jobs-download"),
    path("<int:id>/run/", views.run_spark_job, name="jobs-run"),
    path("<int:id>/zeppelin/", views.detail_zeppelin_job, name="jobs-zeppelin"),
    path("<int:id>/runs/<int:run_id>/", views.detail_spark_job_run, name="jobs-run-detail"),
    path("<int:id>/runs/<int:run_id>/rendered/", views.rendered_spark_job_run, name="jobs-run-rendered"),
    path("<int:id>/runs/<int:run_id>/files/<path:name>", views.spark_job_run_file, name="jobs-run-file"),
]
