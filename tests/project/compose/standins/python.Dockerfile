# Stand-in for the official python:3.11-slim where no registry can be pulled from: Debian's python3 (3.11 in
# bookworm) and pip, with `python` and `pip` on PATH and no EXTERNALLY-MANAGED marker, as in the official image.
ARG BASE
FROM ${BASE}
# host/: this machine's apt sources and settings, its added CA certificates and pip configuration (copied in
# at build time by tests/project/compose/base_images.py, never committed).
COPY host/ /
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates python3 python3-pip python3-venv python-is-python3 >/dev/null \
 && update-ca-certificates >/dev/null \
 && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["python3"]
