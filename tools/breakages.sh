#!/usr/bin/env bash
# Applies each deliberate breakage of issue 10 to a temporary copy of the tree and runs the tests, printing which
# tests went red. The suite must catch every one: the script exits 1 if a breakage leaves the tests green (or can no
# longer be applied because the code moved). The working tree is never touched.
#
#   tools/breakages.sh            the test folders that cover the broken code (worker, e2e)
#   tools/breakages.sh --full     the whole suite (npm test), as the issue's "done when" asks
#   tools/breakages.sh --help
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

scope=(test/worker test/e2e)
case "${1:-}" in
  --help | -h) usage; exit 0 ;;
  --full) scope=() ;;
  '') ;;
  *) usage >&2; exit 2 ;;
esac

root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/breakages.XXXXXX")
trap 'rm -rf "$work"' EXIT

# name | file | sed expression | what it does
breakages=(
  "throttle-as-transient|worker/adapters/BedrockDescriber.ts|s/return new ThrottledError(message, options);/return new TransientError(message, options);/|Bedrock throttling mapped to a plain transient error"
  "unreadable-records-kept|worker/consumer/handleMessage.ts|s/if (parsed.invalid.length > 0) {/if (parsed.invalid.length < 0) {/|unreadable records not sent to the DLQ"
  "no-if-match|worker/adapters/S3ImageSource.ts|/IfMatch: ref.eTag/d|IfMatch removed from the S3 fetch"
)

copy_tree() {
  local dest=$1
  mkdir -p "$dest"
  # The files git knows, as they are now in the working tree (uncommitted edits included).
  (cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dest" 2>/dev/null || true)
  ln -s "$root/node_modules" "$dest/node_modules"
}

failed_tests() {
  # The names of the failed tests in vitest's JSON report, one per line.
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const f of r.testResults ?? [])
      for (const t of f.assertionResults ?? [])
        if (t.status === "failed") console.log(`  red: ${f.name.replace(process.argv[2] + "/", "")} > ${t.fullName}`);
  ' "$1" "$2"
}

status=0
summary=()
for entry in "${breakages[@]}"; do
  IFS='|' read -r name file expr what <<<"$entry"
  dest="$work/$name"
  copy_tree "$dest"
  before=$(sha1sum "$dest/$file")
  sed -i "$expr" "$dest/$file"
  if [[ "$(sha1sum "$dest/$file")" == "$before" ]]; then
    echo "!! $name: the breakage no longer applies to $file (the code moved): update this script" >&2
    summary+=("$name: NOT APPLIED")
    status=1
    continue
  fi
  echo "== $name: $what ($file)"
  report="$work/$name.json"
  set +e
  (cd "$dest" && npx vitest run "${scope[@]}" --reporter=dot --reporter=json --outputFile.json="$report" >"$work/$name.log" 2>&1)
  code=$?
  set -e
  if [[ $code -eq 0 ]]; then
    echo "!! $name: the tests stayed GREEN: this breakage goes unnoticed" >&2
    summary+=("$name: UNNOTICED")
    status=1
  else
    reds=$(failed_tests "$report" "$dest" 2>/dev/null || true)
    if [[ -z "$reds" ]]; then
      echo "!! $name: vitest failed without a red test (exit $code); last lines:" >&2
      tail -20 "$work/$name.log" >&2
      summary+=("$name: ERROR")
      status=1
      continue
    fi
    echo "$reds"
    summary+=("$name: caught by $(grep -c . <<<"$reds") test(s)")
  fi
done

echo
echo "== summary"
printf '  %s\n' "${summary[@]}"
exit $status
