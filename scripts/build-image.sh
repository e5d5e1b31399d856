#!/usr/bin/env bash
# Build a Docker image with Headwater installed, without any image registry: a Debian
# bookworm root made by debootstrap (cached), imported as the base image; a layer with
# this project's dependencies (rebuilt only when pyproject.toml changes); and this
# project's own wheel on top.
#
#   scripts/build-image.sh [TAG]        default TAG: headwater:VERSION
#
# Needs docker (DOCKER_HOST is honoured) and, the first time, debootstrap (root).
# HEADWATER_IMAGE_CACHE: where the debootstrap root is kept (default
# ~/.cache/headwater-image); PYTHON: the interpreter that builds the wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOTFS_VERSION=bookworm-v1   # bump when the package list below changes
PACKAGES=python3,python3-venv,python3-pip,ca-certificates
PYTHON=${PYTHON:-.venv/bin/python}
VERSION=$("$PYTHON" -c 'import headwater; print(headwater.__version__)')
TAG=${1:-headwater:$VERSION}
CACHE=${HEADWATER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/headwater-image}
ROOT=$CACHE/rootfs-$ROOTFS_VERSION
BASE=headwater-base:$ROOTFS_VERSION

say() { echo "build-image: $*" >&2; }

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if [ ! -d "$ROOT" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
      say "debootstrap is missing (apt-get install debootstrap)"; exit 2
    fi
    say "making a Debian root with debootstrap in $ROOT (once; about a minute)"
    mkdir -p "$CACHE"
    rm -rf "$ROOT.partial"
    debootstrap --variant=minbase --include="$PACKAGES" bookworm "$ROOT.partial" \
      >"$CACHE/debootstrap.log" 2>&1 || { say "debootstrap failed: $CACHE/debootstrap.log"; exit 1; }
    mv "$ROOT.partial" "$ROOT"
  fi
  say "importing $ROOT as $BASE"
  tar -C "$ROOT" -c . | docker import - "$BASE" >/dev/null
fi

CONTEXT=$(mktemp -d)
trap 'rm -rf "$CONTEXT"' EXIT
mkdir "$CONTEXT/deps" "$CONTEXT/app"

# The dependencies: one layer per pyproject.toml, reused while it does not change.
DEPS_DIGEST=$(cat pyproject.toml docker/Dockerfile.deps | sha256sum | cut -c1-12)
DEPS=headwater-deps:$ROOTFS_VERSION-$DEPS_DIGEST
if ! docker image inspect "$DEPS" >/dev/null 2>&1; then
  say "building the wheels of headwater's dependencies"
  "$PYTHON" -m pip wheel --quiet --wheel-dir "$CONTEXT/deps/wheels" ".[postgres,kubernetes]"
  cp docker/Dockerfile.deps "$CONTEXT/deps/Dockerfile"
  say "building $DEPS"
  docker build --quiet --network host --build-arg BASE="$BASE" -t "$DEPS" "$CONTEXT/deps" >/dev/null
  for old in $(docker image ls headwater-deps --format '{{.Repository}}:{{.Tag}}'); do
    [ "$old" = "$DEPS" ] || docker rmi "$old" >/dev/null 2>&1 || true  # images on it keep it
  done
fi

say "building the wheel of headwater $VERSION"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$CONTEXT/app/wheels" .
cp docker/Dockerfile.offline "$CONTEXT/app/Dockerfile"
say "building $TAG"
docker build --quiet --network host --build-arg BASE="$DEPS" -t "$TAG" "$CONTEXT/app" >/dev/null
echo "$TAG"
