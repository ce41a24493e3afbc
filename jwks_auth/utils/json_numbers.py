"""The one test for JSON numbers that may be used as times or sizes."""

from __future__ import annotations

import math
from typing import Any, TypeGuard


def is_finite_number(value: Any) -> TypeGuard[int | float]:
    """An int or float (not a bool) that is finite, including ints too large for a float."""
    try:
        return type(value) in (int, float) and math.isfinite(value)
    except OverflowError:  # e.g. 10**400: not a usable time
        return False
