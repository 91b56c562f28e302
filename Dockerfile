# One image for the three services; the command picks the service.
FROM python:3.11.7-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY passerelle ./passerelle
RUN pip install --no-compile . && useradd --system --uid 10001 passerelle
USER passerelle
ENV HTTP_HOST=0.0.0.0 HTTP_PORT=8000 LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"HTTP_PORT\"]}/health', timeout=2)"
CMD ["python", "-m", "services.referrals"]
