#!/usr/bin/env bash
# Coverage-guided fuzzing of one target with libFuzzer, on the stable toolchain.
#
#   fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
#
# TARGET is one of: requirements lockfile pylock pyproject metadata wheel zip_ranges
# (testdata/fuzz/TARGET holds its seeds). It builds fuzz/ with the instrumentation cargo-fuzz
# uses (SanitizerCoverage; no AddressSanitizer, which needs nightly), then runs for SECONDS
# (default 60). New inputs go to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET/. With
# cargo-fuzz and a nightly toolchain, `cargo +nightly fuzz run TARGET` works on the same crate.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]}"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros, as cargo-fuzz does.
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --target "$host" --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
exec "target/$host/release/$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 \
    -artifact_prefix="artifacts/$target/" "$@" "corpus/$target" "../testdata/fuzz/$target"
