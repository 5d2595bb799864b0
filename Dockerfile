# The web and worker image (see docker-compose.yml and docs/deployment.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files are collected into the image and served by WhiteNoise. The key below
# exists only for this build step; the real one comes from the environment at run time.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-used-at-runtime-0123456789abcdefghij \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --home-dir /app pinghu \
 && mkdir -p /data/media \
 && chown -R pinghu /data

USER pinghu
EXPOSE 8000
# The timeout is above the longest page (docs/deployment.md, "Timeouts and health check").
CMD ["gunicorn", "pinghu_points.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "90"]
