# One image for web (gunicorn), worker and beat (celery); see docker-compose.yml.
# Debian's own Python 3.11 on debian:bookworm-slim (not the python image): CI builds this
# very file with buildah from a base it makes from Debian's packages (scripts/image), so
# every step below is proven on each CI run (docs/deployment.md).
FROM debian:bookworm-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8 \
    PATH=/opt/venv/bin:$PATH

# Python 3.11 with venv; Pango for WeasyPrint; libharfbuzz-subset0 makes font subsetting
# ~8x faster; gettext's msgfmt compiles the translations.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        python3.11 python3.11-venv ca-certificates \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext \
    && rm -rf /var/lib/apt/lists/* \
    && python3.11 -m venv /opt/venv

WORKDIR /app

# Dependencies first, so a code change doesn't reinstall them: exactly the pins and hashes
# of requirements-prod.lock (scripts/lock.py; the tested pins without the dev extra). The
# code runs from /app, so the project itself needs no install.
COPY requirements-prod.lock ./
RUN pip install --require-hashes -r requirements-prod.lock

COPY . .

# The same build script CI runs: translations, then collectstatic with the manifest.
RUN scripts/build

# MEDIA_ROOT is a volume shared by web and worker; created here so it belongs to kos.
RUN useradd --create-home --uid 1000 kos \
    && mkdir -p /data/media \
    && chown kos:kos /data/media
ENV MEDIA_ROOT=/data/media
USER kos

EXPOSE 8000
# No --access-logfile: the app logs each request as JSON with its id (gunicorn.conf.py).
CMD ["gunicorn", "kos_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
