# One image for the operator and the runner:
#   operator (default):  node dist/cli/operator.js
#   runner (Job pods):   node dist/cli/runner.js job
#
# The base is pinned to the exact Node release the project builds and tests
# with (package.json pins node 24.21.0 and engines >=24.11 <25), so the image
# runs the same V8 and type-stripping behaviour as CI. Bump it together with
# the `node` devDependency. Add the digest (@sha256:...) when publishing from
# a machine that can resolve it; none can be resolved here.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim
# gitleaks runs the runner's secret scan of each change before it is
# committed (src/runner/secrets/scan.ts). Its version is the one
# tools/gitleaks/go.mod pins (the tests build and run that one); Go is the
# release the tools' go.mod files name. Bump them together.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG GITLEAKS_VERSION=v8.30.1
# osv-scanner runs the runner's dependency scan (src/runner/security/osv.ts),
# the version tools/osv-scanner/go.mod pins. Bump them together.
ARG OSV_SCANNER_VERSION=v2.5.1

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first so this layer is reused while only sources change.
# `npm install` follows the lock file; `npm ci` refuses it because npm leaves
# other platforms' optional packages out of it (see .ci/run).
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compile, then drop dev dependencies (typescript, jest, the node binary
# package, ...) so the final stage copies production modules only.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# A static binary (no cgo) for the Node image; the version stamp as gitleaks'
# own Makefile sets it, so `gitleaks version` tells the truth.
FROM ${GO_IMAGE} AS gitleaks
ARG GITLEAKS_VERSION
RUN CGO_ENABLED=0 go install -trimpath \
      -ldflags "-s -w -X=github.com/zricethezav/gitleaks/v8/version.Version=${GITLEAKS_VERSION}" \
      "github.com/zricethezav/gitleaks/v8@${GITLEAKS_VERSION}"

FROM ${GO_IMAGE} AS osv-scanner
ARG OSV_SCANNER_VERSION
RUN CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
      "github.com/google/osv-scanner/v2/cmd/osv-scanner@${OSV_SCANNER_VERSION}"

FROM ${NODE_IMAGE}
# git: the runner clones, commits and pushes; ca-certificates: HTTPS to forges.
# Debian versions are not pinned: bookworm security updates replace them and a
# pinned version would stop building (hadolint DL3008). npm and corepack are
# removed: not used at run time, so a smaller image with fewer CVEs.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
 && groupadd --gid 65532 nonroot \
 && useradd --uid 65532 --gid 65532 --home-dir /tmp --no-create-home \
      --shell /usr/sbin/nologin nonroot
# HOME=/tmp: with readOnlyRootFilesystem the only writable places are the
# emptyDirs mounted at /tmp (and the runner's /workspace); git writes its
# config and credentials helpers' state under HOME. OPENCODE_GITLEAKS and
# OPENCODE_OSV_SCANNER: the secret and dependency scanners the runner runs
# (copied from the stages above).
ENV NODE_ENV=production \
    HOME=/tmp \
    OPENCODE_WORKSPACE=/workspace \
    OPENCODE_GITLEAKS=/usr/local/bin/gitleaks \
    OPENCODE_OSV_SCANNER=/usr/local/bin/osv-scanner
COPY --from=gitleaks /go/bin/gitleaks /usr/local/bin/gitleaks
COPY --from=osv-scanner /go/bin/osv-scanner /usr/local/bin/osv-scanner
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# Numeric uid so Pod Security `restricted` (runAsNonRoot) can verify it.
USER 65532:65532
EXPOSE 8080 8081
CMD ["node", "dist/cli/operator.js"]
