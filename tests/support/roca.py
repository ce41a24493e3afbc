"""Published RSA keys with the ROCA fingerprint (CVE-2017-15361), for tests.

Both come from the test data of the ROCA authors' detector, crocs-muni/roca
(MIT licence): ``roca/tests/data/privkey05.pem`` (a 2049-bit key, private
part included, so a token can be signed with it) and
``roca/tests/data/mod03.txt`` (a 2048-bit modulus). Both are positive samples
of that project's own tests.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.keys import SigningKey

_DATA = Path(__file__).with_name("data")

ROCA_MODULUS_2048 = int(
    "9dcd7420e420c270a68060eb8b5aa7457a9f6648f86fafed2775cc1f79ae962f1e63f1b9e51c55f9ea6fdc7332e9b0058c9ff2eb1fc8"
    "9855029cf6aafe21e689feb38ac9ffb12f1ce371bb5d0e9aae64161abce74b4244bf68f1edb4411f756a097c8929c14740245ea355f8"
    "332d1aa36bb50c7dcb4505da8de02e4e53d38f8df06097da7524df0df93db48eac8cc4af2d3a16257eb2b2adca6ba464e5974fa92550"
    "d31b1babf161e7692d00b86e3dd886ecab4abfbe1a8f8cc263ff4af55cdb45f4249a5193925f5e983d762f0b6800943eb0267b08f42e"
    "d311ce1f5c86eacbc8ce4d3cb7a2fee1ef5641423a1cf4114e5ecf50034a60a412523af9e6f4aa11",
    16,
)


def roca_signing_key(kid: str = "roca", alg: str = "RS256") -> SigningKey:
    """The published 2049-bit ROCA key (private part included)."""
    private_key = serialization.load_pem_private_key((_DATA / "roca-privkey05.pem").read_bytes(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    return SigningKey(private_key, kid, alg)
