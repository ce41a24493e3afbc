"""The library tests' URLs plus the authorization test views."""

from django.urls import include, path

from tests.support import scope_views as views

urlpatterns = [
    path("", include("tests.urls")),
    path("authz/all", views.AllScopesView.as_view()),
    path("authz/any", views.AnyScopeView.as_view()),
    path("authz/rw", views.ReadWriteView.as_view()),
    path("authz/map", views.MethodMapView.as_view()),
    path("authz/bound", views.BoundView.as_view()),
    path("authz/none", views.NoScopesView.as_view()),
    path("authz/or", views.OrView.as_view()),
    path("authz/admin-or-scope", views.AdminOrScopeView.as_view()),
    path("authz/scope-or-admin", views.ScopeOrAdminView.as_view()),
    path("authz/and-not", views.AndNotView.as_view()),
    path("authz/and-any", views.ScopeAndAnyView.as_view()),
    path("authz/claims", views.ClaimsView.as_view()),
]
