# Stand-in for the official redis:7-alpine where no registry can be pulled from: Debian's redis-server (7.0)
# and redis-cli, started like the official image (redis-entrypoint.sh: protected mode off, the redis user, /data).
ARG BASE
FROM ${BASE}
# host/: see python.Dockerfile.
COPY host/ /
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
