#!/bin/sh
# No arguments: the test suite. Anything else: a netcensus command.
set -e
cd /app
if [ "$#" -eq 0 ]; then
  exec npm test
fi
exec node /app/bin/netcensus.js "$@"
