# FMS GraphQL API. Build: docker build -t fms .
# The image runs with NODE_ENV=production, so it refuses to start without authentication: set a
# token key (README "Authentication"), e.g. AUTH="-e AUTH_JWT_SECRET=... -e AUTH_JWT_ISSUER=... -e AUTH_JWT_AUDIENCE=..."
# Run on PostgreSQL:      docker run $AUTH -e DATABASE_URL=postgresql://user:pass@db:5432/fms -p 4000:4000 fms
# Run embedded (PGlite):  docker run $AUTH -v fms-data:/data -p 4000:4000 fms
# Pending migrations are applied at start (Prisma Migrate, WASM engine: nothing is downloaded).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY scripts/unref-wasm-timers.cjs ./scripts/
COPY src/db ./src/db
# postinstall generates the Prisma client and the Pothos types from prisma/schema.prisma
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0 DATA_DIR=/data CHECKPOINT_DISABLE=1
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/src/generated ./src/generated
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4000
# (a GET needs the CSRF header; README "Limits")
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/graphql?query=%7B__typename%7D',{headers:{'x-graphql-yoga-csrf':'1'}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node directly (not npm), so SIGTERM reaches the server and it shuts down gracefully
CMD ["node", "--import", "tsx", "src/server.ts"]
