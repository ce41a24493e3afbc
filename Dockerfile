# One image for both compose services: the dev identity server (idp, port 5000)
# and the API with its browser client (port 5002).

# oidc-client-ts for the browser client, pinned by client_static/package-lock.json.
FROM node:20-slim AS client-deps
WORKDIR /src/client_static
COPY client_static/package.json client_static/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
COPY --from=client-deps /src/client_static/node_modules client_static/node_modules
# Static files (var/staticfiles) for granian to serve (scripts/serve.sh); API_COLLECTSTATIC=0 then skips it at start.
RUN python manage.py collectstatic --noinput -v0
# var/ holds the SQLite databases (and, for the idp, its signing key: see docker-compose.yml).
RUN useradd --uid 10001 --create-home app && mkdir -p var && chown app var
USER app
EXPOSE 5000 5002
# The API as in production (granian, one worker per core, DEBUG off); the
# compose file runs the dev identity server from the same image.
ENV PY=python API_PORT=5002 API_COLLECTSTATIC=0
STOPSIGNAL SIGTERM
CMD ["scripts/serve.sh"]
