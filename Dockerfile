# syntax=docker/dockerfile:1

# ATMO image: one image for every process (web, worker, scheduler and, when
# built with REQUIREMENTS=local, the local AWS emulator and OIDC provider).
# The process is chosen by the command given to bin/run; see that script.
#
#   docker build -t atmo .
#   docker build --build-arg REQUIREMENTS=local -t atmo:dev .
#   docker build --build-arg VERSION=1.2.3 --build-arg COMMIT="$(git rev-parse HEAD)" \
#       --build-arg SOURCE=<repository URL> --build-arg BUILD_URL=<CI build URL> .

# ---------------------------------------------------------------------------
# Front-end files (Bootstrap, Bootstrap Icons) from the npm lockfile.
FROM node:20-slim AS assets

WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin/copy-vendor.mjs bin/copy-vendor.mjs
RUN npm run vendor

# ---------------------------------------------------------------------------
# Python virtualenv. psycopg2 is built from source here, so the compiler and
# the libpq headers stay out of the final image.
FROM python:3.11-slim AS builder

# base: runtime only; local: also the local AWS emulator, OIDC provider, ...
ARG REQUIREMENTS=base

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# Debian package versions are left to the base image's release: pinning them
# breaks the build whenever Debian publishes a security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
COPY requirements/ /tmp/requirements/
RUN pip install --require-hashes --no-deps -r "/tmp/requirements/${REQUIREMENTS}.txt"

# ---------------------------------------------------------------------------
# Final image.
FROM python:3.11-slim

# Written to version.json, served by dockerflow at /__version__.
ARG VERSION=unknown
ARG COMMIT=unknown
ARG BUILD_URL=""
ARG SOURCE=""

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=atmo.settings \
    ATMO_ENVIRONMENT=prod \
    PORT=8000

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

# The code stays owned by root: the app user can read it but not change it.
WORKDIR /app
COPY . /app
COPY --from=assets /build/static/vendor /app/static/vendor

RUN python -c 'import json, os; json.dump({"version": os.environ["VERSION"], "commit": os.environ["COMMIT"], "source": os.environ["SOURCE"], "build": os.environ["BUILD_URL"]}, open("version.json", "w"), indent=2)' \
    && ATMO_ENVIRONMENT=build python manage.py collectstatic --noinput

# Numeric, so that orchestrators can check that it is not root.
USER 10001:10001

EXPOSE 8000

# The forwarded-proto header tells Django the request came through the TLS
# proxy, so SECURE_SSL_REDIRECT does not answer it with a redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:%s/__lbheartbeat__' % os.environ.get('PORT', '8000'), headers={'X-Forwarded-Proto': 'https'}), timeout=4)"]

ENTRYPOINT ["bin/run"]
CMD ["web"]
