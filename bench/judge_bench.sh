#!/usr/bin/env bash
# The judge's speed, as a learner feels it. For every exercise: the median wall time of `./kata judge` on a
# file whose content changed since the last judge (warm: the harness is built), the plain `g++ -O0 -c` of
# the same file as a baseline, their ratio, and the hidden tests' own run time. With --cold, also the time
# of a full build from an empty build directory.
#   bench/judge_bench.sh [--cold] [--runs N]      prints a Markdown table
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5
cold=false
while [ $# -gt 0 ]; do
  case "$1" in
    --cold) cold=true ;;
    --runs) runs=$2; shift ;;
    *) echo "usage: bench/judge_bench.sh [--cold] [--runs N]" >&2; exit 2 ;;
  esac
  shift
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export KATA_WORKSPACE="$scratch/workspace"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

"$root/kata" list >/dev/null  # installs and builds whatever is missing, outside the timings

if $cold; then
  start=$(now)
  cmake -S "$root" -B "$scratch/build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld >/dev/null
  ninja -C "$scratch/build" -j 2 >/dev/null
  echo "cold build (configure + build everything, -j2): $(since "$start") s"
  echo
fi

echo "| exercise | warm judge, median of $runs (s) | plain g++ -O0 -c (s) | speed-up | hidden tests run (s) |"
echo "|---|---|---|---|---|"
for dir in "$root"/exercises/*/; do
  id=$(basename "$dir")
  file="$scratch/$id.cpp"
  cp "$root/exercises/$id/.meta/reference.cpp" "$file"
  times=()
  run_seconds=()
  for i in $(seq "$runs"); do
    echo "// edit $i" >>"$file"  # the learner saved a change
    start=$(now)
    "$root/kata" judge "$id" --source "$file" --json >"$scratch/out.json" 2>/dev/null || true
    times+=("$(since "$start")")
    # A fast judge that is wrong is no result: every timed run must accept the reference.
    grep -q '"verdict": "accepted"' "$scratch/out.json" || { echo "$id: the reference was not accepted" >&2; exit 1; }
    run_seconds+=("$(grep -o '"run_seconds": [0-9.]*' "$scratch/out.json" | awk '{ print $2 }')")
  done
  warm=$(printf '%s\n' "${times[@]}" | median)
  run=$(printf '%s\n' "${run_seconds[@]}" | median)
  start=$(now)
  g++ -std=c++17 -O0 -D_GLIBCXX_USE_CXX11_ABI=1 -isystem /usr/include/torch/csrc/api/include -I "$dir" \
    -c "$file" -o "$scratch/plain.o"
  plain=$(since "$start")
  printf '| %s | %.2f | %.1f | %.1f× | %.2f |\n' "$id" "$warm" "$plain" "$(awk -v p="$plain" -v w="$warm" 'BEGIN { print p / w }')" "$run"
done
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d)"
