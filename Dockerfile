# netcensus, CPU image. Needs BuildKit (Docker 23+, or DOCKER_BUILDKIT=1 with Docker 20.10).
# Build:                        docker build --network host -t netcensus .
# Run the tests (the default):  docker run --rm --network none netcensus
# Run any netcensus command:    docker run --rm --network none netcensus verify --all
# Offline, behind a proxy or a mirror: `npm run docker:build` passes the host's routes in (README, Docker).

# ---- build: compilers, pip and the tensorflow-cpu wheel stay in this stage
FROM node:20.20.2-bookworm-slim AS build

# python3-pip fetches the tensorflow-cpu wheel (scripts/setup-native.mjs); make and g++ compile the addon;
# binutils (with g++) strips libtensorflow.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m pip --version && g++ --version && make --version && strip --version > /dev/null

WORKDIR /app
RUN chown node:node /app
USER node

# node-gyp compiles the addon against the headers the base image ships instead of downloading them.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The host's routes; unset, npm and pip use their defaults. npm run docker:build fills them in.
ARG NPM_CONFIG_REGISTRY
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST

# netcensus keeps native TensorFlow and ONNX Runtime in a per-user cache (scripts/native-loader.cjs); in the
# image that cache is a folder of the app's, copied into the runtime stage.
ENV NETCENSUS_CACHE=/app/.native

# Dependencies before sources: this layer, native TensorFlow included, stays cached until they change.
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node scripts/setup-native.mjs scripts/native-loader.cjs ./scripts/
# The README's `npm ci`, its lifecycle run step by step: the sources are not here yet, so the install
# skips scripts, then runs the postinstall (native TensorFlow and ONNX Runtime, strict: a failure fails the
# build), and the prepare (build) follows the sources. A proxy's CA certificates come in as a secret, kept
# out of every layer. npm 10 has exited 0 with its install broken ("Exit handler never called!" behind an
# untrusted proxy), so each step is checked: the tree must match the lockfile, the native packages must
# load. The setup strips libtensorflow and drops the headers and ONNX Runtime's other platforms itself.
RUN --mount=type=secret,id=extra_ca,uid=1000 \
    --mount=type=cache,id=netcensus-npm,target=/home/node/.npm,uid=1000,gid=1000 \
    set -e; \
    if [ -s /run/secrets/extra_ca ]; then \
      cat /etc/ssl/certs/ca-certificates.crt /run/secrets/extra_ca > /tmp/ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/ca.pem PIP_CERT=/tmp/ca.pem; \
    fi; \
    npm ci --ignore-scripts; \
    npm ls --all > /dev/null || { echo 'npm ci left node_modules unlike package-lock.json' >&2; exit 1; }; \
    node scripts/setup-native.mjs --strict; \
    rm -rf /tmp/ca.pem .cache; \
    find node_modules .native -type f \( -name '*.js.map' -o -name '*.mjs.map' -o -name '*.cjs.map' -o -name '*.ts.map' \) -delete; \
    node -e "require('./scripts/native-loader.cjs').requireNative('@tensorflow/tfjs-node')" > /dev/null \
      || { echo 'native TensorFlow did not build (see the netcensus setup line above)' >&2; exit 1; }; \
    node -e "require('./scripts/native-loader.cjs').requireNative('onnxruntime-node')" > /dev/null \
      || { echo 'ONNX Runtime does not load' >&2; exit 1; }

COPY --chown=node:node . .
RUN npm run prepare && test -f dist/src/index.js && test -f dist/src/cli.js && node bin/netcensus.js list > /dev/null

# ---- runtime: node_modules with the built addon and libtensorflow, the build, the sources the tests read
FROM node:20.20.2-bookworm-slim

WORKDIR /app
RUN chown node:node /app
USER node

ENV NETCENSUS_CACHE=/app/.native
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/.native ./.native
COPY --chown=node:node . .
COPY --from=build --chown=node:node /app/dist ./dist
# Nothing the addon needs may have stayed behind in the build stage.
RUN node -e "require('./scripts/native-loader.cjs').requireNative('@tensorflow/tfjs-node')" \
 && node bin/netcensus.js list > /dev/null

ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD []
