# syntax=docker/dockerfile:1
# One image for every Node app of the monorepo (backfill, collector, predictor, scorer, trainer, console).
# docker-compose.yml picks the app with `command`, e.g. ["apps/collector/src/main.ts"].
# The apps run from their TypeScript sources with tsx: the workspaces have no build step.

# Node 20 reached end of life in April 2026; 22 is the maintained LTS that satisfies engines (>= 20.19).
ARG NODE_VERSION=22

# ---------------------------------------------------------------- dependencies and sources
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app

# Manifests first, so the dependency layer is rebuilt only when one of them changes.
# Every workspace of package.json must be listed (test/compose.test.ts checks it).
COPY package.json package-lock.json ./
COPY packages/binance/package.json packages/binance/
COPY packages/candles/package.json packages/candles/
COPY packages/features/package.json packages/features/
COPY packages/inference/package.json packages/inference/
COPY packages/kline-backfill/package.json packages/kline-backfill/
COPY packages/labeler/package.json packages/labeler/
COPY packages/model/package.json packages/model/
COPY packages/questdb/package.json packages/questdb/
COPY packages/replay-exchange/package.json packages/replay-exchange/
COPY packages/service/package.json packages/service/
COPY packages/stack/package.json packages/stack/
COPY apps/backfill/package.json apps/backfill/
COPY apps/backtest/package.json apps/backtest/
COPY apps/collector/package.json apps/collector/
COPY apps/exchange-replay/package.json apps/exchange-replay/
COPY apps/predictor/package.json apps/predictor/
COPY apps/scorer/package.json apps/scorer/
COPY apps/trainer/package.json apps/trainer/
COPY test/package.json test/
# Exactly the locked versions: the build fails rather than resolve anything anew.
RUN npm ci --omit=dev --no-audit --no-fund

# Sources (.dockerignore keeps tests, benchmarks and local state out).
COPY tsconfig.base.json ./
COPY packages packages
COPY apps apps

# ---------------------------------------------------------------- runtime
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app

# tsx runs the TypeScript sources. It is a root devDependency (omitted above), so it is installed
# globally here, pinned to the lockfile's version (test/compose.test.ts checks they agree).
ARG TSX_VERSION=4.23.15
RUN npm install --global --no-audit --no-fund "tsx@${TSX_VERSION}" && npm cache clean --force

# Owned by root and read-only for the app user: the apps never write into their own tree.
COPY --from=build /app /app

USER node
ENTRYPOINT ["tsx"]
# Without a command: the standalone console monitor's help.
CMD ["apps/predictor/src/console.ts", "--help"]
