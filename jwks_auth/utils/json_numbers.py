"""The one test for JSON numbers that may be used as times or sizes."""

from __future__ import annotations

import math
from typing import Any, TypeGuard

#: Every int of smaller magnitude converts to a finite float (the largest float is just under 2**1024).
_FINITE_INT = 2**1023


def is_finite_number(value: Any) -> TypeGuard[int | float]:
    """An int or float (not a bool) that is finite; an int too large for a float is not."""
    if type(value) is int and -_FINITE_INT < value < _FINITE_INT:
        return True  # the usual time, without a float conversion and a try block
    try:
        return type(value) in (int, float) and math.isfinite(value)
    except OverflowError:  # e.g. 10**400: not a usable time
        return False
