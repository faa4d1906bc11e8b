#!/usr/bin/env bash
# Smoke test of Trove's container image: runs it with podman (or docker), waits for
# /health/ready, checks the readiness answer and the web home page, and prints the image's
# size. Publishes nothing; the container and its anonymous /data volume are removed after.
#
#   scripts/build-image.sh && scripts/image-smoke.sh [tag]     # default tag: trove:latest
#   ENGINE=docker scripts/image-smoke.sh
#
# Exits 2 when no engine or no image is there (nothing was tested), 1 when a check fails.
set -euo pipefail
tag="${1:-trove:latest}"
say() { printf 'image-smoke: %s\n' "$*" >&2; }

engine="${ENGINE:-}"
if [ -z "$engine" ]; then
    for e in podman docker; do
        if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
            engine="$e"
            break
        fi
    done
fi
[ -n "$engine" ] || { say "no working podman or docker: nothing tested"; exit 2; }
"$engine" image inspect "$tag" >/dev/null 2>&1 || { say "no image $tag (scripts/build-image.sh builds it): nothing tested"; exit 2; }
podman_global=() podman_limits=()
if [ "$engine" = podman ]; then
    # shellcheck source=podman-flags.sh
    . "$(dirname "$0")/podman-flags.sh"
    podman_flags "$tag" || { say "podman cannot run a container here (see scripts/podman-flags.sh): nothing tested"; exit 2; }
fi
run_engine() { "$engine" "${podman_global[@]}" "$@"; }

port="${TROVE_SMOKE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
name="trove-smoke-$$"
cleanup() { run_engine rm -f -v "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
fail() {
    say "FAILED: $*"
    run_engine logs "$name" 2>&1 | tail -n 30 >&2 || true
    exit 1
}

say "running $tag with $engine on 127.0.0.1:$port"
run_engine run -d "${podman_limits[@]}" --name "$name" -p "127.0.0.1:$port:8080" \
    -e TROVE_SERVER_BASE_URL="http://127.0.0.1:$port" "$tag" >/dev/null

base="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 120); do
    if body=$(curl -fsS "$base/health/ready" 2>/dev/null); then
        ready="$body"
        break
    fi
    [ "$(run_engine inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || fail "the container stopped"
    sleep 0.5
done
[ -n "$ready" ] || fail "/health/ready did not answer 200 within 60 s"
printf '%s' "$ready" | grep -q '"status"' || fail "/health/ready answered without a status: $ready"
say "/health/ready: $ready"

home=$(curl -fsS -H 'accept: text/html' "$base/") || fail "the web home page did not answer 200"
printf '%s' "$home" | grep -qi '<html' || fail "the home page is not HTML"
printf '%s' "$home" | grep -q 'Trove' || fail "the home page does not name Trove"
say "web home page: $(printf '%s' "$home" | wc -c) bytes of HTML"

user=$(run_engine exec "$name" id -u)
[ "$user" != 0 ] || fail "the server runs as root"
run_engine exec "$name" test -f /data/trove.db || fail "no database in the /data volume"
say "runs as uid $user, database in /data"

size=$("$engine" image inspect -f '{{.Size}}' "$tag")
say "image $tag: $size bytes ($((size / 1024 / 1024)) MiB)"
say "ok"
