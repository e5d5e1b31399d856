# The Headwater image for the server and workers, for machines that can pull from a
# registry:  docker build -t headwater:dev .
#   server:  docker run -p 4200:4200 -e HEADWATER_DATABASE_URL=... headwater:dev
#   worker:  docker run -e HEADWATER_API_URL=http://server:4200/api headwater:dev \
#              headwater worker start --pool my-pool
# Without registry access, scripts/build-image.sh builds the same image from Debian's
# packages (docs/workers.md).  `--target docker-worker` adds the docker command for the
# docker worker of deploy/compose.yaml.
FROM python:3.11-slim-bookworm AS headwater
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md /src/
COPY headwater /src/headwater
RUN pip install --no-cache-dir "/src[postgres,kubernetes]" && rm -rf /src
WORKDIR /opt/flows
EXPOSE 4200
CMD ["headwater", "server", "start", "--host", "0.0.0.0", "--port", "4200"]

# The docker worker drives the `docker` command against the host's daemon (its socket
# mounted, deploy/compose.yaml); Debian's docker.io package provides it.
FROM headwater AS docker-worker
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker.io \
 && rm -rf /var/lib/apt/lists/*

# The default target: the server and process/kubernetes worker image.
FROM headwater
