"""The module paths of the flat layout before 1.0, kept importable while code and settings move to the new ones.

``jwks_auth.front_door``, ``jwks_auth.claims.ClaimRules`` (a ``CLAIM_RULES``
dotted path), ``jwks_auth.dpop`` and the rest still import: each old path is
answered by a stand-in module that reads from the module now holding the code,
after a ``DeprecationWarning`` naming the new path. Classes renamed in the move
keep their old names there. CHANGELOG.md lists every move; the stand-ins go
in 1.1.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import Any

# old module -> (new module, {old attribute: new attribute})
MOVED: dict[str, tuple[str, dict[str, str]]] = {
    "jwks_auth.numbers": ("jwks_auth.utils.json_numbers", {}),
    "jwks_auth.cache": ("jwks_auth.utils.shared_cache", {}),
    "jwks_auth.offloop": ("jwks_auth.utils.blocking", {}),
    "jwks_auth.backoff": ("jwks_auth.utils.backoff", {}),
    "jwks_auth.settings_schema": ("jwks_auth.conf.schema", {}),
    "jwks_auth.profiles": ("jwks_auth.conf.profiles", {}),
    "jwks_auth.key_checks": ("jwks_auth.keys.material", {}),
    "jwks_auth.fetch": ("jwks_auth.keys.http", {}),
    "jwks_auth.deadline": ("jwks_auth.keys.deadline", {}),
    "jwks_auth.jws": ("jwks_auth.validation.jws", {}),
    "jwks_auth.claims": ("jwks_auth.validation.claims", {}),
    "jwks_auth.scopes": ("jwks_auth.validation.scopes", {}),
    "jwks_auth.tokens": ("jwks_auth.validation.validator", {}),
    "jwks_auth.token_cache": ("jwks_auth.validation.verified_cache", {}),
    "jwks_auth.introspection": ("jwks_auth.validation.introspection", {}),
    "jwks_auth.front_door": ("jwks_auth.web.request_verifier", {"FrontDoor": "RequestVerifier"}),
    "jwks_auth.guard": ("jwks_auth.web.endpoint_check", {"Guard": "EndpointCheck"}),
    "jwks_auth.answers": ("jwks_auth.web.responses", {}),
    "jwks_auth.required_scopes": ("jwks_auth.web.required_scopes", {}),
    "jwks_auth.metadata": ("jwks_auth.web.resource_metadata", {}),
    "jwks_auth.www_authenticate": ("jwks_auth.web.www_authenticate", {}),
    "jwks_auth.ops.tracing": ("jwks_auth.utils.tracing", {}),
    "jwks_auth.challenges": ("jwks_auth.web.challenges", {}),
    "jwks_auth.keystore": ("jwks_auth.keys.store", {}),
    "jwks_auth.keystore.coordinator": ("jwks_auth.keys.store.coordinator", {}),
    "jwks_auth.keystore.discovery": ("jwks_auth.keys.store.discovery", {}),
    "jwks_auth.keystore.entry": ("jwks_auth.keys.store.entry", {}),
    "jwks_auth.keystore.events": ("jwks_auth.keys.store.events", {}),
    "jwks_auth.keystore.fetcher": ("jwks_auth.keys.store.fetcher", {}),
    "jwks_auth.keystore.gate": ("jwks_auth.keys.store.unknown_kids", {}),
    "jwks_auth.keystore.lock": ("jwks_auth.keys.store.lock", {}),
    "jwks_auth.keystore.namespace": ("jwks_auth.keys.store.namespace", {}),
    "jwks_auth.keystore.refresher": ("jwks_auth.keys.store.refresher", {}),
    "jwks_auth.keystore.settings": ("jwks_auth.keys.store.settings", {}),
    "jwks_auth.keystore.snapshot": ("jwks_auth.keys.store.snapshot", {}),
    "jwks_auth.keystore.store": ("jwks_auth.keys.store.store", {}),
    "jwks_auth.keystore.tiers": ("jwks_auth.keys.store.lookup", {"Tiers": "KeySetLookup"}),
    "jwks_auth.dpop": ("jwks_auth.sender", {"RequestFacts": "RequestDetails"}),
    "jwks_auth.dpop.binding": ("jwks_auth.sender.binding", {}),
    "jwks_auth.dpop.certificates": ("jwks_auth.sender.certificates", {}),
    "jwks_auth.dpop.challenge": ("jwks_auth.sender.challenge", {}),
    "jwks_auth.dpop.config": ("jwks_auth.sender.settings", {}),
    "jwks_auth.dpop.django": ("jwks_auth.sender.django_request", {}),
    "jwks_auth.dpop.errors": ("jwks_auth.sender.errors", {}),
    "jwks_auth.dpop.facts": ("jwks_auth.sender.request_details", {"RequestFacts": "RequestDetails"}),
    "jwks_auth.dpop.htu": ("jwks_auth.sender.htu", {}),
    "jwks_auth.dpop.jwk": ("jwks_auth.sender.proof_key", {}),
    "jwks_auth.dpop.nonce": ("jwks_auth.sender.nonce", {}),
    "jwks_auth.dpop.origin": ("jwks_auth.sender.origin", {}),
    "jwks_auth.dpop.proof": ("jwks_auth.sender.proof", {}),
    "jwks_auth.dpop.replay": ("jwks_auth.sender.replay", {}),
    "jwks_auth.dpop.runtime": ("jwks_auth.sender.components", {}),
    "jwks_auth.dpop.sender": ("jwks_auth.sender.constraint", {}),
}


class MovedModule(ModuleType):
    """An old module path: every attribute read from the module that holds the code now."""

    def __init__(self, name: str, target: str, renamed: dict[str, str]) -> None:
        super().__init__(name, f"Moved to {target}.")
        self.__target = target
        self.__renamed = renamed

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        module = importlib.import_module(self.__target)
        return getattr(module, self.__renamed.get(attribute, attribute))


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers the imports of ``MOVED``'s old paths with a ``MovedModule`` (and a ``DeprecationWarning``)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        is_package = any(other.startswith(fullname + ".") for other in MOVED)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        target, renamed = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {target}; the old path goes in 1.1.", DeprecationWarning, stacklevel=2)
        module = MovedModule(spec.name, target, renamed)
        if spec.submodule_search_locations is not None:
            module.__path__ = []
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the code lives in the target module."""


def install() -> None:
    """Put the finder first on ``sys.meta_path``, once.

    First, so that a folder left behind by an old checkout (``jwks_auth/dpop/__pycache__``) cannot be taken
    for a namespace package; it answers only the old paths, so no module of the new layout is shadowed.
    """
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())


def names_moved_to(package: str, target: str, submodules: frozenset[str]) -> Any:
    """A package ``__getattr__`` for a package that was a module before 1.0 (``jwks_auth.conf``, ``jwks_auth.keys``).

    ``package.<name>`` reads ``target.<name>`` with a ``DeprecationWarning``; the package's own
    ``submodules`` are left to the import system (asked before they are imported, they must not be looked up
    in ``target``, which may itself import them).
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__") or name in submodules:
            raise AttributeError(name)
        value = getattr(importlib.import_module(target), name)
        warnings.warn(f"{package}.{name} moved to {target}.{name}.", DeprecationWarning, stacklevel=2)
        return value

    return __getattr__
