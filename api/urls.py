from django.urls import path

from api.views import HelloView, MeView

urlpatterns = [
    path("", HelloView.as_view(), name="hello"),
    path("me", MeView.as_view(), name="me"),
]
