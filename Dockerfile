# FMS GraphQL API. Build: docker build -t fms .
# The image runs with NODE_ENV=production, so it refuses to start without authentication: set a
# token key (README "Authentication"), e.g. AUTH="-e AUTH_JWT_SECRET=... -e AUTH_JWT_ISSUER=... -e AUTH_JWT_AUDIENCE=..."
# Run on PostgreSQL:      docker run $AUTH -e DATABASE_URL=postgresql://user:pass@db:5432/fms -p 4000:4000 fms
# Run embedded (PGlite):  docker run $AUTH -v fms-data:/data -p 4000:4000 fms
# Pending migrations are applied at start (Prisma Migrate, WASM engine: nothing is downloaded).
# To apply them as a one-shot step instead (before a rollout, with MIGRATE_ON_START=false on the
# servers):               docker run --rm -e DATABASE_URL=... fms npm run db:migrate
# test/ops/dockerfile.test.ts runs these steps, in this order, without a Docker engine.

FROM node:20-bookworm-slim AS build
# No telemetry or update checks from the Prisma CLI; no cache of transpiled files in node_modules
# from jiti, which loads prisma.config.ts for the CLI (the code is read-only at run time).
ENV CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 JITI_FS_CACHE=false
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the lockfile. --ignore-scripts: no dependency's install script runs (@prisma/engines'
# would try to download native engines, which the WASM engine makes unnecessary); the project's
# own postinstall step, generate, is the next RUN.
RUN npm ci --ignore-scripts --no-audit --no-fund
# prisma.config.ts, and the modules of src/ it imports, are loaded by `prisma generate`.
COPY prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY scripts/unref-wasm-timers.cjs ./scripts/
COPY src ./src
# The Prisma client and the Pothos types, from prisma/schema.prisma, offline.
RUN npm run -s generate
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0 DATA_DIR=/data SHUTDOWN_TIMEOUT_MS=8000 \
    CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 JITI_FS_CACHE=false
WORKDIR /app
# The code belongs to root and is read-only to the server, which writes only to /data.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src/generated ./src/generated
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
# The embedded database's directory, the server's to write (a new named volume copies the owner).
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
# GET /healthz: 200 while the process serves (README "Operating"); node's fetch, as the slim
# image has no curl.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node directly (not npm), so SIGTERM reaches the server and it shuts down gracefully (README
# "Stopping"), within SHUTDOWN_TIMEOUT_MS: 8 s here, inside the 10 s `docker stop` waits before
# SIGKILL (raise both together: docker stop -t, Kubernetes' terminationGracePeriodSeconds).
CMD ["node", "--import", "tsx", "src/server.ts"]
