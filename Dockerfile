# syntax=docker/dockerfile:1
# Enclave server image. Build: docker build -t enclave:0.1.0 .   (docs/deployment.md)
#
# Two stages: `build` installs the production dependencies from the lockfile, `runtime` copies them
# with the built server onto a clean Node 24 slim image and runs as an unprivileged user. The server
# runs as bundled JavaScript (dist/, `npm run build:server`: about 40 MiB less memory than the
# TypeScript sources through Node's type stripping); the CLI runs the sources, which are copied too.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, exactly as locked. No dependency needs an install script (only the
# `node` devDependency has one, and the image brings its own Node 24), so scripts stay off.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The web console (docs/console.md) and the bundled server: built with the dev dependencies (Vite,
# rolldown) in a stage of their own; only their output (web/dist, dist) reaches the runtime image.
FROM ${NODE_IMAGE} AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY web ./web
COPY scripts ./scripts
COPY src ./src
RUN node scripts/build-console.mjs && test -f web/dist/index.html \
 && node scripts/build-server.mjs && test -f dist/enclave.mjs

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Code and dependencies belong to root and are read-only for the server's user; only ./data (the
# SQLite file of a single-container run) is writable. PostgreSQL deployments write nothing locally.
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY --from=assets /app/web/dist ./web/dist
COPY --from=assets /app/dist ./dist
RUN mkdir -p /app/data && chown 1000:1000 /app/data

# Beyond loopback, so authentication is required: every route but /healthz, /readyz, /docs and
# /openapi.json needs a credential (docs/security.md). Give ENCLAVE_ADMIN_KEY (or create admin keys
# with `enclave admin-key create`) and ENCLAVE_MASTER_KEY at run time, never in the image.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    ENCLAVE_AUTH=required

# The `node` user of the official image, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8000

# The slim image has no curl; Node's fetch is the probe. Liveness only: readiness (/readyz) also
# checks the database and Redis and belongs to the load balancer.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM: /readyz turns 503, the server keeps serving for SHUTDOWN_DELAY_MS, then drains for up to
# SHUTDOWN_TIMEOUT_MS. Give the container at least their sum before it is killed.
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and receives the signal itself (no shell, no npm in between).
# --max-semi-space-size=16: V8's young generation stays at 2 x 16 MiB instead of growing to
# 2 x 64 MiB under load (docs/operations.md, "Memory"); keep it in step with deploy/ and npm start.
CMD ["node", "--max-semi-space-size=16", "dist/enclave.mjs", "serve"]
