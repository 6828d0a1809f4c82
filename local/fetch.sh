#!/usr/bin/env bash
# Fetches the offline local stack into .local/ (git-ignored): DynamoDB Local, the SQS server's npm
# dependencies and the Lambda Runtime Interface Emulator. Idempotent: each part is skipped when it is
# already in place, so a second run takes well under a second.
#
# Usage: local/fetch.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"

DDB_PKG="amplify-dynamodb-simulator@2.9.30"
RIE_MOD="github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

log() { printf 'fetch: %s\n' "$*" >&2; }

mkdir -p "$LOCAL/bin"

# --- Machine packages: DynamoDB Local needs a Java runtime, the SQS server Node.js, the readiness
# checks curl. Images of this project's kind ship them; where one is missing it comes from Debian.
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v node >/dev/null || missing+=(nodejs npm)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- DynamoDB Local: Amazon's jar, shipped inside an npm package. We keep only the emulator
# directory; the jar's licence forbids committing it, so it is fetched here at build time.
# A stamp file records the package version so an upgrade re-fetches.
ddb_stamp="$LOCAL/dynamodb/.fetched-$DDB_PKG"
if [[ -f "$ddb_stamp" && -f "$LOCAL/dynamodb/DynamoDBLocal.jar" ]]; then
  log "dynamodb local: present"
else
  log "dynamodb local: fetching $DDB_PKG"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$DDB_PKG" >/dev/null)
  tar -xzf "$tmp"/amplify-dynamodb-simulator-*.tgz -C "$tmp"
  [[ -f "$tmp/package/emulator/DynamoDBLocal.jar" ]] || { log "jar missing from $DDB_PKG"; exit 1; }
  rm -rf "$LOCAL/dynamodb"
  mv "$tmp/package/emulator" "$LOCAL/dynamodb"
  touch "$ddb_stamp"
  rm -rf "$tmp"
  trap - EXIT
fi

# --- SQS server: npm ci from the committed lock file. npm ci always wipes node_modules, so skip it
# when the installed tree already matches the lock (npm writes node_modules/.package-lock.json).
sqs="$ROOT/local/sqs"
if [[ -f "$sqs/node_modules/.package-lock.json" && -d "$sqs/node_modules/local-aws-sqs" \
      && "$sqs/node_modules/.package-lock.json" -nt "$sqs/package-lock.json" ]]; then
  log "sqs server: present"
else
  log "sqs server: npm ci"
  npm ci --prefix "$sqs" --no-audit --no-fund --silent
fi

# --- Lambda Runtime Interface Emulator, pinned. A stamp records the version installed.
rie_stamp="$LOCAL/bin/.aws-lambda-rie-${RIE_MOD##*@}"
if [[ -x "$LOCAL/bin/aws-lambda-rie" && -f "$rie_stamp" ]]; then
  log "aws-lambda-rie: present"
else
  log "aws-lambda-rie: go install"
  # Installed from the Go module proxy; CGO off gives a static binary like the one AWS ships.
  (cd "$ROOT" && CGO_ENABLED=0 GOBIN="$LOCAL/bin" go install "$RIE_MOD")
  rm -f "$LOCAL/bin"/.aws-lambda-rie-*
  touch "$rie_stamp"
fi

log "done: $LOCAL"
