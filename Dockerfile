# The sluice image: `docker build -t sluice .` (docs/deployment.md). Runs `sluice run` on the
# pipeline files in /etc/sluice/pipelines, as a non-root user, under tini.
#
# Build arguments:
#   SLUICE_UID, SLUICE_GID  the user the image runs as (default 10001:10001, an ID that no
#                           host account is likely to have); any other UID:GID also works at
#                           run time (`user:` in compose, `--user`), sluice writes nothing.
#
# Needs BuildKit (COPY --chmod): `DOCKER_BUILDKIT=1 docker build` on Docker 20.10, the default
# from Docker 23. No `# syntax=` line on purpose: everything used here is in the Dockerfile
# frontend built into BuildKit since Docker 20.10, and the line would make every build fetch
# docker/dockerfile from Docker Hub (failing on builders that cannot reach it).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile TypeScript with the dev dependencies, then drop them.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: sluice's dependencies have no native parts, and `prepare` (the build)
# runs below, once the sources are there.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and the compiled code only.
FROM ${NODE_IMAGE}
ARG SLUICE_UID=10001
ARG SLUICE_GID=10001
# tini: PID 1 that forwards signals and reaps zombies (node as PID 1 ignores SIGTERM unless it
# installs a handler, and reaps nothing). Unpinned on purpose: the base image pins the Debian
# release, and its security updates should come with each rebuild.
# --non-unique: a UID/GID of 1000 (the base image's `node` user) is accepted too.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --non-unique --gid "${SLUICE_GID}" sluice \
 && useradd --non-unique --uid "${SLUICE_UID}" --gid "${SLUICE_GID}" --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin sluice \
 && mkdir -p /etc/sluice/pipelines \
 && ln -s /app/bin/sluice /usr/local/bin/sluice
WORKDIR /app
# Everything stays owned by root and read-only to the sluice user: the process cannot modify
# its own code, and the container runs with a read-only root file system.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schema ./schema
COPY bin ./bin
# Example pipelines for reference; the ones that run are mounted into /etc/sluice/pipelines
# (a compose volume, Swarm configs), which the image leaves empty.
COPY pipelines ./pipelines
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# The health/metrics listener must accept connections from outside the container (Prometheus);
# sluice's own default is 127.0.0.1.
# MALLOC_ARENA_MAX: two glibc malloc arenas instead of up to 8 per core (less peak RSS at the
# same CPU; docs/performance.md).
ENV SLUICE_PIPELINES=/etc/sluice/pipelines \
    SLUICE_HTTP_ADDRESS=0.0.0.0 \
    SLUICE_HTTP_PORT=9600 \
    MALLOC_ARENA_MAX=2
USER ${SLUICE_UID}:${SLUICE_GID}
EXPOSE 9600
STOPSIGNAL SIGTERM
# Liveness only (/healthz): an Elasticsearch outage must not get every replica restarted.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "docker-entrypoint.sh"]
CMD ["run"]
