"""The suite's own keys: the ones a test holds as different are different.

``SigningKey.rsa`` reuses six pool keys round-robin, so the seventh pool key
is the first again. ``signing_key`` and ``other_key`` came from the pool: when
exactly six pool keys were asked for between them (an order that depends on
which tests a worker runs, e.g. under ``pytest -n 2``), ``other_key`` was
``signing_key``, and a token "forged" with it under the same kid was valid
(tests/asgi_app/test_same_answers.py's ``wrong_signature`` answered 200).
"""

from __future__ import annotations

from tests.support.keys import SigningKey


def test_the_session_keys_are_not_pool_keys(signing_key: SigningKey, other_key: SigningKey) -> None:
    pool = [SigningKey.rsa(kid=f"pool-{n}").private_key for n in range(7)]
    assert pool[6] is pool[0]  # why the session keys must not come from the pool
    held = {id(signing_key.private_key), id(other_key.private_key)}
    assert len(held) == 2 and not held & {id(key) for key in pool}
    assert signing_key.public_jwk()["n"] != other_key.public_jwk()["n"]
