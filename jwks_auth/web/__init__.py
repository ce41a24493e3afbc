"""The framework-neutral request layer: from a Django request to an ``AccessToken`` or a refusal, and its HTTP answers.

The doors at the top of the package (DRF, Ninja, plain views, middleware) are thin adapters over ``request_verifier``.
"""
