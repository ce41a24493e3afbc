from django.urls import path

from api.views import HelloView, MeView, StepUpMeView

urlpatterns = [
    path("", HelloView.as_view(), name="hello"),
    path("me", MeView.as_view(), name="me"),
    path("me/step-up", StepUpMeView.as_view(), name="me-step-up"),
]
