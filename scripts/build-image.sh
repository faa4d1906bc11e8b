#!/usr/bin/env bash
# Builds Trove's container image (Dockerfile at the repository root) with docker or podman,
# whichever works here. Exits 2, saying why, when no engine can build: none installed, no
# daemon, or the base images (docker.io/library/rust, debian) cannot be pulled.
#
#   scripts/build-image.sh [tag]        # default tag: trove:latest
#   ENGINE=podman scripts/build-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-trove:latest}"

say() { printf 'build-image: %s\n' "$*" >&2; }

engine="${ENGINE:-}"
if [ -z "$engine" ]; then
    for e in docker podman; do
        if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
            engine="$e"
            break
        fi
    done
fi
if [ -z "$engine" ]; then
    for e in docker podman; do
        command -v "$e" >/dev/null 2>&1 && say "$e is installed but not usable here ($e info fails: no daemon or no permission)"
    done
    say "no working container engine (docker or podman): the image was NOT built"
    exit 2
fi

# The base images come from Docker Hub; say so plainly when it is out of reach.
bases=$(sed -n 's/^ARG \(RUST_VERSION\|DEBIAN_RELEASE\)=\(.*\)/\1=\2/p' Dockerfile)
rust_version=$(printf '%s\n' "$bases" | sed -n 's/^RUST_VERSION=//p')
debian=$(printf '%s\n' "$bases" | sed -n 's/^DEBIAN_RELEASE=//p')
for image in "docker.io/library/rust:${rust_version}-slim-${debian}" "docker.io/library/debian:${debian}-slim"; do
    if ! "$engine" image inspect "$image" >/dev/null 2>&1 && ! "$engine" pull "$image" >/dev/null 2>&1; then
        say "cannot pull $image (no access to Docker Hub?): the image was NOT built"
        exit 2
    fi
done

say "building $tag with $engine"
if [ "$engine" = docker ]; then
    DOCKER_BUILDKIT=1 docker build -t "$tag" .
else
    podman build -t "$tag" .
fi
say "built $tag"
