# One image for the three services; the command picks the service.
# Swagger UI's files, served by the service itself (no CDN).
FROM node:20-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11.7-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY passerelle ./passerelle
RUN pip install --no-compile . && python -m passerelle.rome_fetch /app/rome-4.0.json \
    && useradd --system --uid 10001 passerelle
COPY --from=assets /assets/node_modules/swagger-ui-dist ./node_modules/swagger-ui-dist
USER passerelle
# Production unless told otherwise: the service then refuses to start without its secrets, naming each.
ENV ENVIRONMENT=production HTTP_HOST=0.0.0.0 HTTP_PORT=8000 LOG_FORMAT=json \
    ROME_REFERENTIAL_PATH=/app/rome-4.0.json ASSETS_DIR=/app/node_modules
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"HTTP_PORT\"]}/health', timeout=2)"
CMD ["python", "-m", "services.referrals"]
