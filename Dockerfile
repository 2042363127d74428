# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev

# Runtime stage: production dependencies only, tini as PID 1 so SIGTERM reaches sluice.
FROM node:24-bookworm-slim
ARG SLUICE_UID=10001
ARG SLUICE_GID=10001
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid "${SLUICE_GID}" sluice \
 && useradd --system --uid "${SLUICE_UID}" --gid sluice --home-dir /app --shell /usr/sbin/nologin sluice
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schema ./schema
COPY pipelines /etc/sluice/pipelines
ENV NODE_ENV=production
USER sluice
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/sluice"]
CMD ["run", "/etc/sluice/pipelines"]
