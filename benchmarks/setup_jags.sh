#!/usr/bin/env bash
# Install JAGS (Debian package) for benchmarks/gibbs_vs_jags.py; does nothing if `jags` is already on PATH.
set -euo pipefail
if command -v jags >/dev/null 2>&1; then
    echo "jags already installed: $(command -v jags)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends jags
command -v jags
