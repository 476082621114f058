#!/usr/bin/env bash
# CI: regenerates schema.graphql and the client's typed documents, and fails if either differs
# from what is committed (generated files are never edited by hand).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsx server/scripts/print-schema.ts >/dev/null
npx graphql-codegen --config codegen.ts --silent
if ! git diff --quiet -- schema.graphql client/src/gql || [ -n "$(git status --porcelain -- client/src/gql)" ]; then
  echo "generated files are stale: run \`npm run generate\` and commit the result:" >&2
  git status --short -- schema.graphql client/src/gql >&2
  git diff --stat -- schema.graphql client/src/gql >&2
  exit 1
fi
echo "schema.graphql and client/src/gql are current"
