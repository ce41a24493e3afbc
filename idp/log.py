"""Keep tokens out of the dev server's access log."""

from __future__ import annotations

import logging
import re

# RP-initiated logout sends the ID token in the query string (id_token_hint).
_TOKEN_PARAM = re.compile(r"\b(id_token_hint|access_token|refresh_token|token|code)=[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Replace token-bearing query parameters in log messages with `[redacted]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _TOKEN_PARAM.sub(r"\1=[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
