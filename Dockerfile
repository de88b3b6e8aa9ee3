# syntax=docker/dockerfile:1.7
# chat's container image: chatd (the entrypoint) and chatctl, on Debian
# slim, as an unprivileged user, with PostgreSQL client tools for
# `chatctl backup`/`restore`.
#
#   docker build -t chat:latest .
#   docker build --build-arg PG_MAJOR=16 -t chat:latest .
#
# PG_MAJOR must be the major version of the PostgreSQL server you back up:
# pg_dump refuses a newer server, and a dump made by a newer pg_dump may not
# restore into an older server. The client comes from the PostgreSQL
# project's own apt repository (apt.postgresql.org), which carries every
# supported major for Debian; the default, 15, is what Debian 12 ships.
# How to run it: systemd/chatd-docker.service and docs/deploy.md.

ARG RUST_VERSION=1.88
ARG DEBIAN_RELEASE=bookworm

# --- build: release binaries of chatd and chatctl ---------------------------
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY . .
# The crate registry and the target directory live in BuildKit cache mounts:
# dependencies are downloaded and compiled once and reused by later builds,
# which recompile only the workspace's own crates. The migrations are
# compiled into both binaries (refinery's embed_migrations!).
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p chatd -p chatctl \
    && install -D -m 0755 -t /out target/release/chatd target/release/chatctl

# --- runtime ---------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG DEBIAN_RELEASE
ARG PG_MAJOR=15
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The PostgreSQL project's signing key for its apt repository.
ADD --chmod=644 https://www.postgresql.org/media/keys/ACCC4CF8.asc /etc/apt/keyrings/pgdg.asc

# Versions are not pinned: Debian's security updates and the repository's
# minor releases should reach the image on every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && echo "deb [signed-by=/etc/apt/keyrings/pgdg.asc] https://apt.postgresql.org/pub/repos/apt ${DEBIAN_RELEASE}-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && rm -rf /var/lib/apt/lists/* \
    && pg_dump --version \
    && groupadd --system --gid 10001 chat \
    && useradd --system --no-log-init --uid 10001 --gid chat \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin chat

COPY --from=build /out/chatd /out/chatctl /usr/local/bin/
# For reference only: the binaries carry the migrations they apply.
COPY migrations /usr/share/chat/migrations

# Inside the container chatd listens on every interface; publish the port
# on loopback only (-p 127.0.0.1:8080:8080) or use the host's network as
# systemd/chatd-docker.service does, and put Apache in front.
ENV CHATD_LISTEN=0.0.0.0:8080 \
    CHATD_LOG_FORMAT=json \
    CHATD_DATA_DIR=/var/lib/chat
# Uploaded files: mount a volume here (docker run -v chat-data:/var/lib/chat)
# and back it up with the database (chatctl backup reads it). Made 0700 and
# owned by the chat user before VOLUME, so a new named volume inherits both.
RUN mkdir -p /var/lib/chat && chown 10001:10001 /var/lib/chat && chmod 0700 /var/lib/chat
VOLUME ["/var/lib/chat"]
EXPOSE 8080
# The `chat` user, numerically, so runtimes can check it is not root.
USER 10001:10001
# Asks GET /readyz (the database answers) over plain TCP; no curl needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["chatd", "healthcheck", "--timeout", "3"]
# SIGTERM (docker stop) stops chatd gracefully: WebSockets get 1001,
# requests in flight finish within CHATD_SHUTDOWN_GRACE. Run with --init so
# chatctl's pg_dump children are reaped.
STOPSIGNAL SIGTERM
ENTRYPOINT ["chatd"]
