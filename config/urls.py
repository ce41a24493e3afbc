"""URLs of the API project."""
from django.urls import include, path

urlpatterns = [
    path("", include("api.urls")),
]
