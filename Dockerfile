# Switchboard in one image: the same lock file, setup script and launcher as `make run`.
#   docker build -t switchboard .
#   docker compose up
# PyPI's default torch wheel for Linux is the CUDA build; to get the CPU build, pass the
# PyTorch CPU wheel index: --build-arg PIP_EXTRA_INDEX_URL=<index URL>.
FROM python:3.11-slim-bookworm

ARG PIP_EXTRA_INDEX_URL=""
ENV PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL} \
    SWITCHBOARD_CACHE=/opt/switchboard \
    SWITCHBOARD_DATA_DIR=/data \
    SWITCHBOARD_GATEWAY_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1

RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends make espeak-ng libespeak-ng1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock requirements-rasa.lock Makefile ./
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh

COPY . .
RUN make train

VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s CMD \
    .venv/bin/python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/health').status != 200)"
CMD [".venv/bin/python", "-m", "switchboard.stack"]
