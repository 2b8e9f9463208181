#!/usr/bin/env bash
# torchkata against the judge a learner would otherwise use: a Python judge of causal_attention with the
# same checks (bench/python/judge_causal_attention.py) on the same PyTorch 1.13 (Debian's python3-torch),
# run as a fresh process on a right solution. Prints the median wall time of each, over --runs N, for
# `./kata judge` on an edited file with the judge service running, without it, and the Python judge, and
# what `import torch` alone costs.
#   bench/python_side_by_side.sh [--runs N]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5
[ "${1:-}" = "--runs" ] && runs=$2
python=/usr/bin/python3  # Debian's, which python3-torch installs into
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "needs Debian's PyTorch: apt-get install -y --no-install-recommends python3-torch" >&2
  exit 3
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export KATA_WORKSPACE="$scratch/workspace"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The median wall time of a command over $runs runs; it must succeed every time.
timed() {
  local times=()
  for i in $(seq "$runs"); do
    echo "// edit $i" >>"$scratch/causal_attention.cpp"  # the learner saved a change
    local start
    start=$(now)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    times+=("$(since "$start")")
  done
  printf '%s\n' "${times[@]}" | median
}

cp "$root/exercises/causal_attention/.meta/reference.cpp" "$scratch/causal_attention.cpp"
judge=("$root/kata" judge causal_attention --source "$scratch/causal_attention.cpp")
"${judge[@]}" >/dev/null 2>&1  # builds what is missing and starts the service, outside the timings
sleep 3                          # the service loads LibTorch

echo "| causal_attention, right solution, median of $runs | wall (s) |"
echo "|---|---|"
echo "| \`./kata judge\`, judge service running | $(timed "${judge[@]}") |"
echo "| \`./kata judge\`, \`KATA_SERVICE=off\` (a fresh host) | $(KATA_SERVICE=off timed "${judge[@]}") |"
echo "| Python judge, fresh \`python3\` process | $(timed "$python" "$root/bench/python/judge_causal_attention.py" \
  "$root/bench/python/solution_causal_attention.py") |"
echo "| \`python3 -c 'import torch'\` alone | $(timed "$python" -c "import torch") |"
