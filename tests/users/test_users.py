"""request.user: the stateless TokenUser by default, Django users on request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jwks_auth.exceptions import ConfigurationError
from jwks_auth.users import DjangoUserResolver, TokenUser
from jwks_auth.validation.validator import get_validator
from tests.conftest import bearer

User = get_user_model()
DJANGO_USERS = {
    "USER_RESOLVER": "jwks_auth.users.django_user",
    "USER_CLAIM_FIELDS": {"email": "email", "given_name": "first_name", "family_name": "last_name"},
}


def get(client, token, path="/authz/claims"):
    return client.get(path, **bearer(token))


# -- the stateless default --------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_token_user_touches_no_database(client, make_token, django_assert_num_queries):
    token = make_token(sub="818727")
    with django_assert_num_queries(0):
        first = get(client, token)
        second = get(client, make_token(sub="88421113"))
    assert first.status_code == second.status_code == 200
    assert first.json()["user"] == "818727" and first.json()["user_type"] == "TokenUser"
    assert User.objects.count() == 0


def test_the_token_user_follows_the_issuers_user_id_claim(client, make_token, jwks_config):
    jwks_config(USER_ID_CLAIM="oid")
    assert get(client, make_token(oid="00000000-0000-0000-66f3-3332eca7ea81")).json()["user"] == (
        "00000000-0000-0000-66f3-3332eca7ea81"
    )


def test_a_client_credentials_token_without_sub_is_its_client(client, make_token, jwks_config):
    jwks_config(PROFILE="identityserver4")
    assert get(client, make_token(sub=None, client_id="console")).json()["user"] == "console"


def test_token_user_basics(make_token, jwks_config):
    token = get_validator().validate(make_token(scope="api1 orders.read"))
    user = TokenUser(token)
    assert user.is_authenticated and not user.is_anonymous and not user.is_staff
    assert user.has_scopes("api1", "orders.read") and not user.has_scopes("admin")
    assert not user.has_perm("auth.add_user") and user == TokenUser(token) and str(user) == "88421113"


# -- Django users ----------------------------------------------------------------------------------------
@pytest.fixture
def django_users(jwks_config):
    def apply(**overrides):
        return jwks_config(**{**DJANGO_USERS, **overrides})

    return apply


@pytest.mark.django_db
def test_an_unknown_user_is_refused_without_creating_it(client, make_token, django_users, django_assert_num_queries):
    django_users()
    with django_assert_num_queries(1):
        response = get(client, make_token(sub="alice"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_known_user_is_request_user_with_one_read(client, make_token, django_users, django_assert_num_queries):
    django_users()
    User.objects.create(username="alice", email="alice@example.com")
    with django_assert_num_queries(1):
        response = get(client, make_token(sub="alice", email="alice@example.com"))
    assert response.status_code == 200
    assert response.json()["user"] == "alice" and response.json()["user_type"] == "User"


@pytest.mark.django_db
def test_users_are_created_and_fields_written_only_when_changed(
    client, make_token, django_users, django_assert_num_queries
):
    django_users(USER_CREATE=True)
    claims = {"sub": "818727", "email": "alice@example.com", "given_name": "Alice", "family_name": "Smith"}
    response = get(client, make_token(**claims))
    assert response.status_code == 200 and response.json()["user_type"] == "User"
    user = User.objects.get(username="818727")
    assert (user.email, user.first_name, user.last_name) == ("alice@example.com", "Alice", "Smith")
    assert not user.has_usable_password() and not user.is_staff and not user.is_superuser

    # Same claims: one SELECT, no write.
    with django_assert_num_queries(1):
        assert get(client, make_token(**claims)).status_code == 200
    # A changed claim: one SELECT and one UPDATE of that field only (in a savepoint).
    with CaptureQueriesContext(connection) as captured:
        assert get(client, make_token(**{**claims, "email": "alice@new.example.com"})).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert [sql.split()[0] for sql in statements] == ["SELECT", "UPDATE"]
    assert '"email"' in statements[1] and '"first_name"' not in statements[1]
    assert User.objects.get(username="818727").email == "alice@new.example.com"
    # And no write again after that; absent claims do not erase fields.
    with django_assert_num_queries(1):
        assert get(client, make_token(sub="818727", email="alice@new.example.com")).status_code == 200
    assert User.objects.get(username="818727").first_name == "Alice"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_deactivated_user_is_refused(client, make_token, django_users):
    django_users(USER_CREATE=True)
    assert get(client, make_token(sub="bob")).status_code == 200
    User.objects.filter(username="bob").update(is_active=False)
    response = get(client, make_token(sub="bob"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert User.objects.filter(username="bob").count() == 1  # not re-created or re-activated


@pytest.mark.django_db
def test_a_deleted_user_is_refused(client, make_token, django_users):
    django_users()
    User.objects.create(username="carol")
    token = make_token(sub="carol")
    assert get(client, token).status_code == 200
    User.objects.filter(username="carol").delete()
    assert get(client, token).status_code == 401  # also for the same, already verified token


@pytest.mark.django_db
def test_scopes_still_apply_to_django_users(client, make_token, django_users):
    django_users(USER_CREATE=True)
    response = client.get("/me", **bearer(make_token(sub="dave", scope="openid")))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_chosen_claim_and_lookup_field(client, make_token, django_users):
    django_users(USER_ID_CLAIM="email", USER_LOOKUP_FIELD="email", USER_CLAIM_FIELDS={"preferred_username": "username"})
    User.objects.create(username="old-name", email="erin@example.com")
    response = get(client, make_token(sub="x", email="erin@example.com", preferred_username="erin"))
    assert response.status_code == 200
    assert User.objects.get(email="erin@example.com").username == "erin"


@pytest.mark.django_db
def test_user_prefix_keeps_two_issuers_users_apart(client, settings, jwks_issuer_for):
    settings.JWKS_AUTH = {
        **DJANGO_USERS,
        "USER_CREATE": True,
        "AUDIENCE": ["api1"],
        "ISSUERS": [
            {"ISSUER": "https://a.example.test", "USER_PREFIX": "a:"},
            {"ISSUER": "https://b.example.test", "USER_PREFIX": "b:"},
        ],
    }
    a, b = jwks_issuer_for("https://a.example.test"), jwks_issuer_for("https://b.example.test")
    assert get(client, a.token("api1", sub="alice")).json()["user"] == "a:alice"
    assert get(client, b.token("api1", sub="alice")).json()["user"] == "b:alice"
    assert sorted(User.objects.values_list("username", flat=True)) == ["a:alice", "b:alice"]


@pytest.mark.django_db
@pytest.mark.parametrize("claims", [{"sub": "x" * 151}, {"sub": None, "client_id": "c"}, {"sub": 42}])
def test_unusable_user_ids_are_401_not_500(client, make_token, django_users, claims):
    django_users(USER_CREATE=True, PROFILE="identityserver4")
    response = get(client, make_token(**claims))
    assert response.status_code == 401
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", [{"a": 1}, ["x@example.com"], "x" * 300 + "@example.com"])
def test_unusable_claim_values_are_not_written(client, make_token, django_users, email):
    django_users(USER_CREATE=True)
    assert get(client, make_token(sub="frank", email=email)).status_code == 200
    assert User.objects.get(username="frank").email == ""


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["is_superuser", "is_staff", "is_active", "password", "username", "id", "nope"])
def test_claims_may_not_write_privileges_or_keys(client, make_token, django_users, field):
    django_users(USER_CREATE=True, USER_CLAIM_FIELDS={"admin": field})
    token = get_validator().validate(make_token(sub="grace", admin=True))
    with pytest.raises(ConfigurationError, match=r"JWKS_AUTH\['USER_CLAIM_FIELDS'\]"):
        DjangoUserResolver()(token)
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("USER_LOOKUP_FIELD", "nosuchfield"),
        ("USER_CLAIM_FIELDS", {"admin": "nosuchfield"}),
        ("USER_CLAIM_FIELDS", {"admin": "is_superuser"}),
    ],
)
def test_a_user_setting_that_cannot_work_is_a_503_naming_it(client, make_token, django_users, caplog, setting, value):
    django_users(USER_CREATE=True, **{setting: value})
    response = get(client, make_token(sub="grace", admin=True))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert f"JWKS_AUTH['{setting}']" in caplog.text
    assert not User.objects.exists()
