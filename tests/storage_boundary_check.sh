#!/usr/bin/env bash
# RocksDB stays inside src/storage/: every other source file reaches the store through
# storage/store.h (Store, WriteBatch, Cursor). Fails when a file outside src/storage/
# includes a <rocksdb/...> header, names rocksdb::, or includes one of storage's private
# headers (rocksdb_store.h, memory_store.h, disk_budget_fs.h). No file is exempt: the
# last legacy ones (engine/, profile/profile_store.*) migrated, and the accessors that
# handed out RocksDB objects (Store::db(), cf(), NewIterator(), FromRocks, View) are gone.
# Usage: storage_boundary_check.sh SOURCE_DIR
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src"

files=$(git ls-files --cached --others --exclude-standard -- 'src/*' 'bench/*' 'tests/*' 'tools/*' 'include/*' 2>/dev/null |
          grep -E '\.(cc|h|hpp|cpp)$' | grep -v '^src/storage/' | grep -v '/node_modules/' || true)
if [[ -z $files ]]; then
  echo "storage_boundary_check: no source files found under $src (not a git checkout?)" >&2
  exit 1
fi

pattern='#include[[:space:]]*[<"]rocksdb/|rocksdb::|#include[[:space:]]*"storage/(rocksdb_store|memory_store|disk_budget_fs)\.h"'
failed=0
for f in $files; do
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
echo "storage_boundary_check: OK"
