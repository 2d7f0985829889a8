#!/usr/bin/env bash
# Deeper networks (docs/RESULTS.md, "Deeper networks"): the plain `polyact fit` with a 60 s time limit on
# networks of degrees (2,2,2), (3,2,2), (2,2,3), (3,3), (2,2,2,2), (3,3,3), every width W (default 20), N = 100
# samples, noise 0 and 0.01, seed 1, the mean-inf loss and every other setting at its default (orders k0..k0+2,
# --sparsity auto, the interior-point method). Prints one line per run: the 1-minute load average before it,
# wall seconds and peak resident memory (GNU time), the exit code, the final status, certified, the relative
# gap, the lower bound, the loss, ‖c − c_true‖ (the report's coefficients against the problem's true ones), and
# per order tried its relaxation (dense/chordal), moments, bound, upper bound, SDP status and seconds ("—" where
# the report has none); under it, indented, each order's full relaxation description and the report's notes.
# A run without a report prints its stderr instead. Problems, reports (*.R.json), stderr and times stay in OUTDIR.
# Usage: [POLYACT=…] [TIME_LIMIT=60] scripts/bench_deep.sh [OUTDIR] [WIDTH] [DEGREES...]
#   e.g. scripts/bench_deep.sh bench-out 10 3,2,2 2,2,3   (after cargo build --release)
set -euo pipefail
POLYACT=$(realpath "${POLYACT:-target/release/polyact}")
OUT=${1:-bench-out}
WIDTH=${2:-20}
shift 2 || shift $# || true
CONFIGS=${*:-2,2,2 3,2,2 2,2,3 3,3 2,2,2,2 3,3,3}
TIME_LIMIT=${TIME_LIMIT:-60}
mkdir -p "$OUT" && cd "$OUT"
summary() { # problem, report, stderr, exit code, time file
  python3 - "$@" <<'PY'
import json, math, sys
prob, rep, err, rc, tfile = sys.argv[1:]
try:
    secs, _, kb, _ = open(tfile).read().split()[-4:]
    secs, mb = float(secs), float(kb) / 1024
except Exception:
    secs, mb = float("nan"), float("nan")
try:
    r = json.load(open(rep))
except Exception as e:
    lines = [l for l in open(err).read().splitlines() if l.strip()]
    print("%8.2f %7.0f MB rc=%s  no report (%s); stderr: %s"
          % (secs, mb, rc, e, " | ".join(lines) if lines else "empty"))
    sys.exit()
truth = [x for layer in json.load(open(prob))["true_coefficients"] for x in layer]
fit = [x for layer in r["coefficients"] for x in layer]
err_c = math.sqrt(sum((a - b) ** 2 for a, b in zip(fit, truth)))
g = lambda x: "—" if x is None else "%+.4e" % x
kind = lambda d: "chordal" if "chordal" in d else "block" if "term sparsity" in d else "dense"
orders = "; ".join("k=%d %s %d moments, bound %s%s, upper %s, %s, %.1f s"
                   % (o["order"], kind(o["relaxation"]), o["moments"], g(o["bound"]),
                      "" if o["sdp_status"] == "optimal" else " (unfinished)", g(o["upper_bound"]),
                      o["sdp_status"], o["seconds"]) for o in r["hierarchy"])
print("%8.2f %7.0f MB rc=%s  %-12s certified=%-3s relgap %-11s lower %-11s loss %-11s |c-c_true| %.2e  [%s]"
      % (secs, mb, rc, r["status"], "yes" if r["status"] == "certified" else "no",
         g(r["relative_gap"]), g(r["lower_bound"]), g(r["loss"]), err_c, orders))
for o in r["hierarchy"]:
    print("    order %d: %s" % (o["order"], o["relaxation"]))
for n in r.get("notes") or []:
    print("    note: %s" % n)
PY
}
for d in $CONFIGS; do
  layers=$(($(tr -cd , <<<"$d" | wc -c) + 3))
  widths=$(printf "$WIDTH%.0s," $(seq $layers)); widths=${widths%,}
  for noise in 0 0.01; do
    name="d${d//,/}_w${WIDTH}_$noise"
    "$POLYACT" generate --degrees "$d" --widths "$widths" --samples 100 --noise "$noise" --seed 1 \
      -o "$name.json" >/dev/null
    load=$(awk '{print $1}' /proc/loadavg)
    rm -f "$name.R.json"
    rc=0
    /usr/bin/time -f "%e s %M KB" -o "$name.time" "$POLYACT" fit "$name.json" --time-limit "$TIME_LIMIT" \
      --json --output "$name.R.json" >/dev/null 2>"$name.stderr" || rc=$?
    printf "(%s) W=%s σ=%-4s load %-5s %s\n" "$d" "$WIDTH" "$noise" "$load" \
      "$(summary "$name.json" "$name.R.json" "$name.stderr" "$rc" "$name.time")"
  done
done
