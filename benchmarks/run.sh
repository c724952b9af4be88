#!/usr/bin/env bash
# Every measurement in BENCHMARKS.md, one after the other, each logged with the time and the load
# average before and after it. Build first (see BENCHMARKS.md); results go to benchmarks/target/results.
# Usage: benchmarks/run.sh [jmh] [cpu] [load] [ratio] [waiting] [wrk]   (no argument: all six)
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=benchmarks/target/benchmarks.jar
LAUNCHER=shim-jetty-launcher/target/llamashim.jar
OUT=benchmarks/target/results
mkdir -p "$OUT"
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(jmh cpu load ratio waiting wrk)

stamp() { echo "# $1: $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

for part in "${parts[@]}"; do
  case "$part" in
    jmh) # JMH, wall-clock average time, with the GC profiler's bytes per operation
      { stamp before; java -jar "$JAR" -prof gc -rf json -rff "$OUT/jmh.json" >"$OUT/jmh.log" 2>&1
        java -cp "$JAR" dev.llamashim.bench.JmhReport "$OUT/jmh.json"; stamp after; } | tee "$OUT/jmh.md" ;;
    cpu) # the same operations timed by CPU time, which other processes on the machine do not inflate
      { stamp before; java -cp "$JAR" dev.llamashim.bench.SynthesisCpuTime; stamp after; } | tee "$OUT/cpu.md" ;;
    load) # the table: 4 targets x 2 delays x 3 concurrencies, everything in one JVM; each cell's 9 s are
          # 3 slices of 3 s (1 s ramp-up each), the targets taking turns slice by slice
      { stamp before; java -Xmx1g -cp "$JAR" dev.llamashim.bench.LoadHarness --seconds 9 --rounds 3 --ramp-up 1 2>/dev/null
        stamp after; } | tee "$OUT/load.md" ;;
    ratio) # the throughput target's cell alone, longer: 10 slices of 3 s per target, turns alternating
      { stamp before; java -Xmx1g -cp "$JAR" dev.llamashim.bench.LoadHarness --targets plain,shim,jetty --concurrency 64 \
          --delays 0 --seconds 30 --rounds 10 --ramp-up 1 2>/dev/null
        stamp after; } | tee "$OUT/ratio.md" ;;
    waiting) # 10,000 waiting requests: fake upstream, launcher and client in three processes
      # (each has its own 20,000 file descriptors; the launcher holds 10,000 client connections plus its
      # upstream ones). The launcher runs at its defaults but log level, with a 512 MiB heap at most.
      java -cp "$JAR" dev.llamashim.bench.BenchUpstream 18091 2000 >"$OUT/waiting-upstream.log" 2>&1 &
      upstream=$!
      java -Xmx512m -jar "$LAUNCHER" --proxy-port 18092 --target-url http://127.0.0.1:18091 --log-level WARNING \
          >"$OUT/waiting-launcher.log" 2>&1 &
      launcher=$!
      sleep 3
      # Threads and used heap of the launcher's JVM, every second.
      ( while kill -0 $launcher 2>/dev/null; do
          echo "$(date -u +%H:%M:%S) threads $(awk '/^Threads/ {print $2}' /proc/$launcher/status)" \
               "heap_used_kb $(jstat -gc $launcher | awk 'NR==2 {print $3+$4+$6+$8}')" \
               "fds $(ls /proc/$launcher/fd | wc -l)"
          sleep 1
        done ) >"$OUT/waiting-samples.log" 2>&1 &
      sampler=$!
      { stamp before; java -Xmx2g -cp "$JAR" dev.llamashim.bench.LoadHarness --targets external \
          --external-url http://127.0.0.1:18092 --concurrency 10000 --delays 2000 --seconds 20 --ramp-up 25 --warmup 3 2>/dev/null
        stamp after
        echo "launcher peaks: $(awk '{ if ($3 > t) t = $3; if ($5 > h) h = $5; if ($7 > f) f = $7 } END { printf "%d threads, %.0f MiB heap used, %d file descriptors", t, h / 1024, f }' "$OUT/waiting-samples.log")"
      } | tee "$OUT/waiting.md"
      kill $launcher $upstream
      wait $sampler || true ;;
    wrk) # an outside client: wrk against the fake, nginx and the launcher, each in its own process
         # (needs wrk and nginx: apt-get install wrk nginx); see benchmarks/wrk/outside.sh
      { stamp before; benchmarks/wrk/outside.sh; stamp after; } | tee "$OUT/wrk.md" ;;
    *) echo "unknown part $part (jmh, cpu, load, ratio, waiting, wrk)" >&2; exit 2 ;;
  esac
done
