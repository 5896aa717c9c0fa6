# syntax=docker/dockerfile:1
# The queue worker (worker/main.ts). Build and push it to the stack's ECR repository (infra/README.md, "Deploying"):
#   docker build --platform linux/amd64 -t "$(pulumi stack output ecrRepositoryUrl):latest" .
#
# How TypeScript runs here: from source, with Node's own TypeScript support, not compiled and not through tsx.
# - tsx is a devDependency, so it is not in the production image; adding it would pull esbuild in too.
# - Plain type stripping (on by default since Node 22.18) only accepts erasable syntax and rejects the parameter
#   properties in shared/errors.ts, so the worker runs with --experimental-transform-types (Node 22.7 or later),
#   which also transforms those. The project's `.ts` import specifiers and `import type` work as they are.
# - Keeping the source tree (rather than bundling) keeps files found relative to a module where they are in
#   development: the prompt (shared/prompts) and the HEIC decoder's worker thread (worker/image/heicThread.ts),
#   which inherits these flags.
# test/infra/dockerfile.test.ts runs this CMD with --help on Node 22 and checks the worker imports only
# production dependencies.
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies only; sharp and the other native packages install their prebuilt linux binaries.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json
WORKDIR /app
# Root-owned and read-only for the `node` user that runs the worker.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY shared ./shared
COPY worker ./worker
USER node
# No HEALTHCHECK: ECS ignores the image's and the worker serves no port by default; ECS restarts a task whose
# process exits, and the worker exits non-zero on a fatal error.
# SIGTERM (ECS stop, Spot interruption) reaches node through the task's init process (initProcessEnabled).
CMD ["node", "--experimental-transform-types", "--disable-warning=ExperimentalWarning", "worker/main.ts"]
