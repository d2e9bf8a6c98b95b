#!/usr/bin/env bash
# Clang's thread-safety analysis over the modules whose locks are annotated
# (common/thread_annotations.h): every file of src/engine/, src/analytics/ and src/activation/, and
# src/storage/memory_store.cc, is compiled with clang++ -fsyntax-only -Wthread-safety
# -Werror=thread-safety, with the flags of the real build (compile_commands.json). An access
# to a GUARDED_BY member without its lock fails the test.
# Usage: thread_safety_check.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
if ! command -v clang++ >/dev/null 2>&1; then
  echo "thread_safety_check: clang++ is missing (scripts/setup.sh installs clang)" >&2
  exit 1
fi
node - "$build/compile_commands.json" "$src" <<'JS'
const fs = require('fs');
const {execFileSync} = require('child_process');
const [db, src] = process.argv.slice(2);
// The modules whose locks are annotated.
const DIRS = ['engine', 'analytics', 'activation'];
const entries = JSON.parse(fs.readFileSync(db, 'utf8'))
    .filter(e => (DIRS.some(d => e.file.startsWith(src + '/src/' + d + '/')) ||
                  e.file === src + '/src/storage/memory_store.cc') &&
                 !e.file.endsWith('_test.cc'));
if (entries.length === 0) { console.error('thread_safety_check: no engine files in ' + db); process.exit(1); }
// Splits a shell command line (the compile commands hold no quotes with spaces).
const split = s => s.match(/(?:[^\s"]+|"[^"]*")+/g).map(a => a.replace(/^"(.*)"$/, '$1'));
let failed = 0;
for (const e of entries) {
  const args = split(e.command).slice(1);
  const out = [];
  for (let i = 0; i < args.length; ++i) {
    if (['-o', '-MF', '-MT'].includes(args[i])) { ++i; continue; }
    if (args[i] === '-MD' || args[i] === '-c') continue;
    out.push(args[i]);
  }
  out.push('-fsyntax-only', '-Wno-everything',
           '-Wthread-safety', '-Werror=thread-safety', '-c', e.file);
  try {
    execFileSync('clang++', out, {cwd: e.directory, stdio: ['ignore', 'inherit', 'inherit']});
  } catch (err) {
    console.error('thread_safety_check: ' + e.file + ' fails the analysis');
    failed++;
  }
}
console.log(`thread_safety_check: ${entries.length - failed} of ${entries.length} files of src/{${DIRS.join(',')}} and the memory store pass -Wthread-safety`);
process.exit(failed ? 1 : 0);
JS
