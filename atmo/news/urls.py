"""URLs of the "What's new" page and of the badge's check, under ``/news/``."""

from django.urls import path

from atmo.news import views

urlpatterns = [
    path("list/", views.list_news, name="news-list"),
    path("check/", views.check_news, name="news-check"),
]
