"""Small tools under every layer: JSON numbers, never-failing shared-cache calls, backoff, algorithm names,
the recorder the metrics plug into, tracing spans, and blocking work kept off the event loop."""
