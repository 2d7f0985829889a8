#!/usr/bin/env bash
# The default fit under each --solver, one after the other on the same files: (2,2), (2,3) and (3,2) networks
# (widths 40, N = 250, noise 0.01; the files of scripts/bench_lowrank.sh) with --solver ipm, lowrank and auto;
# then, with ORDER5=1, the order-5 relaxation of the (2,3) network under `auto` with a memory limit its
# interior-point method does not fit (so the low-rank path runs it alone), with its peak memory.
#
#   scripts/bench_solver_choice.sh OUT_DIR [ORDER5_TIME_LIMIT_SECONDS]
set -euo pipefail
out=${1:?usage: bench_solver_choice.sh OUT_DIR [ORDER5_TIME_LIMIT_SECONDS]}
limit=${2:-120}
mkdir -p "$out"
cargo build --release --quiet --bin polyact
bin=target/release/polyact
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)"
summary() {
  python3 - "$1" "$2" <<'PY'
import json, sys
path, wall = sys.argv[1:]
r = json.load(open(path))
print(f"  {r['status']}, lower bound {r['lower_bound']}, loss {r.get('loss')}, {float(wall):.2f} s")
for h in r["hierarchy"]:
    a = h["abandoned"]
    given = f"; {a['path']} abandoned: {a['status']}, {a['iterations']} its, {a['seconds']:.2f} s, valid bound {a['valid_bound']:.3e}" if a else ""
    vb = h["valid_bound"]
    print(f"  order {h['order']}: {h['solver']} {h['sdp_status']}, {h['iterations']} its, {h['seconds']:.2f} s, "
          f"bound {h['bound']}, valid bound {vb if vb is None else f'{vb:.6e}'}, certified {h['certified']}{given}")
PY
}
for c in 2,2:1 2,3:3 3,2:1; do
  IFS=: read -r degrees seed <<<"$c"
  name="d${degrees/,/}_s${seed}"
  [[ -f "$out/$name.json" ]] || "$bin" generate --degrees "$degrees" --widths 40,40,40,40 --samples 250 \
    --noise 0.01 --seed "$seed" -o "$out/$name.json" >/dev/null
  for solver in ipm lowrank auto; do
    echo "== ($degrees) seed $seed --solver $solver"
    start=$(date +%s.%N)
    "$bin" fit "$out/$name.json" --solver "$solver" --json -q >"$out/$name.$solver.json"
    summary "$out/$name.$solver.json" "$(python3 -c "print($(date +%s.%N) - $start)")"
  done
done
if [[ "${ORDER5:-0}" == 1 ]]; then
  echo "== (2,3) seed 3 order 5, --solver auto --max-memory-gb 2 --time-limit $limit"
  start=$(date +%s.%N)
  /usr/bin/time -f "  peak resident memory %M KB" "$bin" fit "$out/d23_s3.json" --order 5 --max-order 5 \
    --max-memory-gb 2 --time-limit "$limit" --json -q >"$out/d23_s3.o5.json"
  summary "$out/d23_s3.o5.json" "$(python3 -c "print($(date +%s.%N) - $start)")"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
