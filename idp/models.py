"""The dev identity server's one table of its own: when each user last passed the second factor."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SecondFactor(models.Model):
    """The last time ``user`` entered their one-time code (``idp.step_up``).

    It counts for the session it was entered in: a later password login
    (``user.last_login``) makes it stale, so the next token says ``pwd`` again.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    verified_at = models.DateTimeField()
