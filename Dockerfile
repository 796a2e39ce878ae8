# syntax=docker/dockerfile:1.7
# The `switchyard` image: every service from one image (`switchyard run --target <service>`).
#
#   docker build -t switchyard .
#   docker run --read-only --tmpfs /tmp -e DATABASE_URL=... -e NATS_URL=... switchyard run --target router
#
# Runs the TypeScript sources through tsx (as `switchyard` does from a clone), so there is no compile step;
# the runtime stage holds only the CLI's production dependency closure (`pnpm deploy --prod`). Non-root,
# and nothing is written outside /tmp (tsx's cache) and the media directory: fit for a read-only root.

# Pinned by version and digest (the digest as published for this tag; refresh both together:
# `docker buildx imagetools inspect node:22.21.1-bookworm-slim`).
ARG NODE_IMAGE=node:22.21.1-bookworm-slim@sha256:25b3eb23a00590b7499f2a2ce939322727fcce1b15fdd69754fcd09536a3ae2c

FROM ${NODE_IMAGE} AS build
ENV CI=true PNPM_HOME=/pnpm COREPACK_ENABLE_DOWNLOAD_PROMPT=0
WORKDIR /src
# The pnpm version of package.json's packageManager field.
COPY package.json ./
RUN corepack enable && corepack install
# Dependencies first (cached while only sources change).
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN --mount=type=cache,id=pnpm,target=/pnpm/store pnpm fetch --frozen-lockfile
COPY . .
RUN --mount=type=cache,id=pnpm,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline \
 && pnpm -s generate \
 && pnpm --filter @switchyard/cli deploy --prod --legacy /out \
 && rm -rf /out/dist /out/node_modules/.pnpm/*/node_modules/@switchyard/*/dist \
            /out/node_modules/.pnpm/*/node_modules/@switchyard/*/test

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SWITCHYARD_LOG_FORMAT=json \
    SWITCHYARD_HEALTH_LISTEN=0.0.0.0:8080 \
    SWITCHYARD_MEDIA_DIR=/var/lib/switchyard/media
WORKDIR /app
COPY --from=build --chown=root:root /out /app
RUN ln -s /app/bin/switchyard.mjs /usr/local/bin/switchyard \
 && groupadd --system --gid 10001 switchyard \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin switchyard \
 && install -d -o 10001 -g 10001 /var/lib/switchyard/media
USER 10001:10001
# health (/livez, /readyz), Prometheus /metrics (OTEL_METRICS_EXPORTER=prometheus), admin API (gRPC)
EXPOSE 8080 9464 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["switchyard"]
CMD ["run", "--target", "all"]
