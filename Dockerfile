# Trove's container image: a Rust builder stage and a slim runtime stage.
#   scripts/build-image.sh             (docker or podman, whichever is present)
#   docker build -t trove:latest .
# The server listens on 0.0.0.0:8080 and keeps its SQLite database, blobs and staging files
# in /data unless TROVE_DATABASE_URL / TROVE_STORAGE_* point elsewhere (deploy/compose.yaml).

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM docker.io/library/rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS builder
WORKDIR /src
# rustls (ring) needs a C compiler only; no OpenSSL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends pkg-config build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p trove \
    && install -D -m 0755 target/release/trove /out/trove

FROM docker.io/library/debian:${DEBIAN_RELEASE}-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 trove \
    && useradd --system --uid 10001 --gid trove --home-dir /data --shell /usr/sbin/nologin trove \
    && mkdir -p /data \
    && chown trove:trove /data
COPY --from=builder /out/trove /usr/local/bin/trove
USER trove:trove
WORKDIR /data
VOLUME ["/data"]
ENV TROVE_DATA_DIR=/data \
    TROVE_SERVER_LISTEN=0.0.0.0:8080 \
    TROVE_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["/usr/local/bin/trove"]
CMD ["server"]
