# netcensus, CPU image. Build: docker build -t netcensus .
# Run the tests (the default):     docker run --rm netcensus
# Run any netcensus command:       docker run --rm netcensus verify --all
FROM node:20.20.2-bookworm-slim

# node-gyp needs python3, make and g++ when tfjs-node's addon is built from source; pip serves the
# offline wheel route (scripts/setup-native.mjs) where Google's storage is out of reach.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN chown node:node /app
USER node

# Package files first: the dependency layer stays cached until they change.
COPY --chown=node:node package.json package-lock.json ./
COPY --chown=node:node scripts ./scripts
RUN npm ci --ignore-scripts

# Then the sources, and the README's own install command (builds the CLI and native TensorFlow).
COPY --chown=node:node . .
RUN npm ci

ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD []
