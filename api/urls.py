from django.urls import path

from api.views import AccountView, HelloView, MeView, StepUpMeView

urlpatterns = [
    path("", HelloView.as_view(), name="hello"),
    path("me", MeView.as_view(), name="me"),
    path("me/step-up", StepUpMeView.as_view(), name="me-step-up"),
    path("accounts/<str:account>", AccountView.as_view(), name="account"),
]
