#!/usr/bin/env bash
# RocksDB stays inside src/storage/: every other source file reaches the store through
# storage/store.h (Store, WriteBatch, Cursor). Fails when a file outside src/storage/
# includes a <rocksdb/...> header, names rocksdb::, or calls the legacy accessors that
# hand out RocksDB objects (db(), cf(), NewIterator(), FromRocks, View) -- except the
# files listed in LEGACY below, the visible debt: they migrate next, and the list only
# shrinks.
# Usage: storage_boundary_check.sh SOURCE_DIR
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src"

# legacy: being edited elsewhere at the time of the storage interface; they still use
# rocksdb::WriteBatch / rocksdb::Iterator through the legacy accessors of store.h.
LEGACY=(
)

is_legacy() {
  local f=$1 entry
  for entry in "${LEGACY[@]}"; do
    case $entry in
      */) [[ $f == "$entry"* ]] && return 0 ;;
      *) [[ $f == "$entry" ]] && return 0 ;;
    esac
  done
  return 1
}

files=$(git ls-files --cached --others --exclude-standard -- 'src/*' 'bench/*' 'tests/*' 'tools/*' 'include/*' 2>/dev/null |
          grep -E '\.(cc|h|hpp|cpp)$' | grep -v '^src/storage/' | grep -v '/node_modules/' || true)
if [[ -z $files ]]; then
  echo "storage_boundary_check: no source files found under $src (not a git checkout?)" >&2
  exit 1
fi

pattern='#include[[:space:]]*[<"]rocksdb/|rocksdb::|(->|\.)(db|cf)\(|NewIterator\(|FromRocks\(|storage::View\(|using storage::View'
failed=0
for f in $files; do
  is_legacy "$f" && continue
  if hits=$(grep -nE "$pattern" "$f"); then
    while IFS= read -r line; do echo "$f:$line"; done <<<"$hits"
    failed=1
  fi
done
if [[ $failed -ne 0 ]]; then
  echo "storage_boundary_check: the lines above reach RocksDB from outside src/storage/." >&2
  echo "  Use storage::Store, storage::WriteBatch and storage::Cursor (src/storage/README.md)." >&2
  exit 1
fi
# The debt, shown on every run.
for entry in "${LEGACY[@]}"; do
  n=$( (git ls-files -- "$entry" | xargs -r grep -lE 'rocksdb::|#include <rocksdb/' || true) | wc -l)
  echo "storage_boundary_check: legacy $entry: $n file(s) still name RocksDB"
done
echo "storage_boundary_check: OK"
