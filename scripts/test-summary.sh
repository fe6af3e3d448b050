#!/usr/bin/env bash
# Prints one closing line, "N passed, N failed", adding forge's and vitest's counts from their logs.
set -euo pipefail
forge_log=$1
vitest_log=$2
strip() { sed -E 's/\x1b\[[0-9;]*m//g' "$1"; }
read -r forge_passed forge_failed < <(strip "$forge_log" |
  sed -nE 's/.*: ([0-9]+) tests passed, ([0-9]+) failed.*/\1 \2/p' | tail -1)
vitest_line=$(strip "$vitest_log" | grep -E '^ +Tests +' | tail -1)
vitest_passed=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$vitest_line")
vitest_failed=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$vitest_line")
passed=$((${forge_passed:-0} + ${vitest_passed:-0}))
failed=$((${forge_failed:-0} + ${vitest_failed:-0}))
echo "forge: ${forge_passed:-0} passed, ${forge_failed:-0} failed; vitest: ${vitest_passed:-0} passed, ${vitest_failed:-0} failed"
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
