"""The discovery tests use the library test URLs (``/me``)."""
