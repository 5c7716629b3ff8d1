# syntax=docker/dockerfile:1
# Production image of the gateway (also runs the device simulator: same code, other command).
# The TypeScript is compiled to dist/ in a build stage; the image runs plain JavaScript.

# ---- stage 1: production dependencies, with the toolchain for better-sqlite3's native addon
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no vitest or typescript in the image. better-sqlite3 uses a prebuilt binary when
# one matches and compiles with the toolchain above when none does.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- stage 2: compile the TypeScript (needs the dev dependencies: typescript)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY gateway ./gateway
COPY device-sim ./device-sim
RUN npx tsc -p tsconfig.build.json && date -u > dist/.build-stamp

# ---- stage 3: runtime, without compilers
FROM node:20-bookworm-slim
# MALLOC_MMAP_THRESHOLD_ as npm start sets it: glibc then serves blocks of 128 KiB and more with
# mmap and gives them back when freed, instead of raising the threshold during start-up and
# keeping those blocks in its arenas (idle RSS 4-6 MiB lower, ingest CPU unchanged; README).
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    GATEWAY_DATA_DIR=/data \
    GATEWAY_RULES_DIR=/app/rules \
    GATEWAY_PROFILES_DIR=/app/profiles
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY --from=build /app/dist ./dist
COPY scripts ./scripts
COPY rules ./rules
COPY profiles ./profiles
COPY dashboards/console ./dashboards/console
# The state database, write outbox and generated API token live in the data folder.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 1883 8080
# The slim image has no curl; node's fetch does the probe. /healthz needs no token.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Run node directly (not npm start) so SIGTERM reaches the gateway for a clean stop.
CMD ["node", "dist/gateway/src/main.js"]
