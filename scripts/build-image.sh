#!/usr/bin/env bash
# Builds Trove's container image with docker or podman, whichever works here.
#
# 1. When the Dockerfile's Docker Hub bases (rust, debian) can be pulled: the Dockerfile at the
#    repository root (the binary is built inside the image).
# 2. Otherwise (no Docker Hub, as on a machine that reaches only a Debian mirror): the release
#    binary is built on the host with cargo, and Containerfile.prebuilt puts it on a Debian
#    bookworm base made locally with debootstrap from the Debian mirror and imported as
#    localhost/trove-base:bookworm (made once, reused after). The host must run a glibc no newer
#    than bookworm's (Debian 12 or older, Ubuntu 22.04 or older).
#
# Exits 2, saying why, when no image can be built: no usable engine, or neither path works.
#
#   scripts/build-image.sh [tag]                 # default tag: trove:latest
#   ENGINE=podman scripts/build-image.sh
#   TROVE_IMAGE_FROM=host scripts/build-image.sh # skip Docker Hub, always use path 2
#   DEBIAN_MIRROR=http://mirror.example/debian scripts/build-image.sh
#   CARGO_TARGET_DIR=/somewhere scripts/build-image.sh  # where path 2's cargo builds
#   TROVE_BINARY=path/to/trove scripts/build-image.sh    # path 2 with a binary built elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-trove:latest}"
from="${TROVE_IMAGE_FROM:-auto}" # auto | dockerfile | host
base_tag="localhost/trove-base:bookworm"

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

# What podman needs here to run a container (the RUN steps); see scripts/podman-flags.sh.
podman_global=() podman_limits=()
build() { # build <containerfile> <context> [args...]
    local file="$1" context="$2"
    shift 2
    if [ "$engine" = docker ]; then
        DOCKER_BUILDKIT=1 docker build -f "$file" -t "$tag" "$@" "$context"
    else
        # The docker format keeps HEALTHCHECK (the OCI image format has no field for it).
        podman "${podman_global[@]}" build "${podman_limits[@]}" --format docker -f "$file" -t "$tag" "$@" "$context"
    fi
}

# Path 1: the Dockerfile, when its bases can be pulled.
if [ "$from" != host ]; then
    rust_version=$(sed -n 's/^ARG RUST_VERSION=//p' Dockerfile)
    debian=$(sed -n 's/^ARG DEBIAN_RELEASE=//p' Dockerfile)
    pullable=yes
    for image in "docker.io/library/rust:${rust_version}-slim-${debian}" "docker.io/library/debian:${debian}-slim"; do
        if ! "$engine" image inspect "$image" >/dev/null 2>&1 && ! "$engine" pull "$image" >/dev/null 2>&1; then
            say "cannot pull $image (no access to Docker Hub?)"
            pullable=no
            break
        fi
    done
    if [ "$pullable" = yes ]; then
        say "building $tag from the Dockerfile with $engine"
        build Dockerfile .
        say "built $tag"
        exit 0
    fi
    if [ "$from" = dockerfile ]; then
        say "the image was NOT built (TROVE_IMAGE_FROM=dockerfile)"
        exit 2
    fi
fi

# Path 2: a host-built binary on a locally made Debian base.
say "building $tag from a host-built binary on $base_tag (Containerfile.prebuilt)"
if ! "$engine" image inspect "$base_tag" >/dev/null 2>&1; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing debootstrap (apt-get)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2
        else
            say "debootstrap is needed to make the base (apt-get install debootstrap): the image was NOT built"
            exit 2
        fi
    fi
    if [ "$(id -u)" != 0 ]; then
        say "making the base with debootstrap needs root: the image was NOT built"
        exit 2
    fi
    mirror="${DEBIAN_MIRROR:-}"
    if [ -z "$mirror" ]; then
        # The mirror apt already uses (deb822 or one-line sources), else Debian's CDN.
        mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\([^ ]*debian\)\/\{0,1\}$/\1/p' | head -n1)
        [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*debian\)\/\{0,1\} .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n1)
        [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    fi
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/trove-rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    say "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase --include=ca-certificates,curl bookworm "$rootfs" "$mirror" >&2
    # What a slim image leaves out: apt lists and caches, docs, man pages, locales.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
    tar -C "$rootfs" -c . | "$engine" import --change 'CMD ["/bin/bash"]' - "$base_tag" >/dev/null
    rm -rf "$rootfs"
    trap - EXIT
    say "imported $base_tag"
fi

if [ -n "${TROVE_BINARY:-}" ]; then
    # A binary built elsewhere (a CI artifact, or a debug build to try the image quickly).
    binary="$TROVE_BINARY"
    say "using the binary $binary"
else
    command -v cargo >/dev/null 2>&1 || { say "cargo is needed to build the binary: the image was NOT built"; exit 2; }
    say "cargo build --release --locked -p trove"
    cargo build --release --locked -p trove >&2
    target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}"
    binary="$target_dir/release/trove"
fi
[ -x "$binary" ] || { say "no binary at $binary: the image was NOT built"; exit 2; }

if [ "$engine" = podman ]; then
    # shellcheck source=podman-flags.sh
    . scripts/podman-flags.sh
    podman_flags "$base_tag" || { say "podman cannot run a container here (see scripts/podman-flags.sh): the image was NOT built"; exit 2; }
fi
context=$(mktemp -d "${TMPDIR:-/tmp}/trove-image.XXXXXX")
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/trove"
strip "$context/trove" 2>/dev/null || true
build Containerfile.prebuilt "$context" --build-arg "BASE=$base_tag"
say "built $tag"
