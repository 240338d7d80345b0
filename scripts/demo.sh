#!/usr/bin/env bash
# Runs `sluice demo` on a fresh machine: installs dependencies, builds, and starts the demo (no database needed).
cd "$(dirname "$0")/.."
source scripts/lib.sh

install_and_build
exec node packages/core/dist/cli.js demo "$@"
