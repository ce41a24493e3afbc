# Stand-in for the official node:20-slim where no registry can be pulled from: Debian's nodejs and npm.
ARG BASE
FROM ${BASE}
# host/: see python.Dockerfile.
COPY host/ /
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates nodejs npm >/dev/null \
 && update-ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
# npm and node trust the same certificates as the rest of the image.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
