#!/usr/bin/env bash
# The launcher measured by an outside client (run.sh's wrk part): wrk, in its own process, against
# the fake model server directly, nginx as a plain reverse proxy, and the launcher passing through,
# shimming and repairing, one table from one run. Every server is a child of this script on
# 127.0.0.1 and stops with it. Needs wrk and nginx (Debian: apt-get install wrk nginx); installs nothing.
# Settings (environment): WRK_SECONDS per slice (5), WRK_ROUNDS slices per target and cell (3),
# WRK_CELLS (all: "d0 d200-256 d200-1024 stream"), LAUNCHER_JAVA_OPTS (e.g. a JFR recording),
# LAUNCHER_JAR (the launcher to measure; default this build's), LAUNCHER_ARGS (more launcher flags, both launchers), LAUNCHER_BEFORE (another build's llamashim.jar,
# run as a third launcher: targets pass0 and shim0, and with the stream cell a fourth in mode repair: repair0; measured in the same run for a before/after),
# LAUNCHER_BEFORE_ARGS (flags for that one only, e.g. "--metrics false" to price a feature).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=benchmarks/target/benchmarks.jar
LAUNCHER=${LAUNCHER_JAR:-shim-jetty-launcher/target/llamashim.jar}
OUT=benchmarks/target/results
SECONDS_PER_SLICE=${WRK_SECONDS:-5}
ROUNDS=${WRK_ROUNDS:-3}
CELLS=(${WRK_CELLS:-d0 d200-256 d200-1024 stream})
UPSTREAM_PORT=18181 NGINX_PORT=18182 LAUNCHER_PORT=18183 REPAIR_PORT=18184 BEFORE_PORT=18185 BEFORE_REPAIR_PORT=18186
STREAM_EVENTS=30   # BenchUpstream.STREAM_EVENTS
mkdir -p "$OUT"

missing=()
for tool in wrk nginx java; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "the wrk part needs ${missing[*]} on the PATH (Debian: apt-get install wrk nginx)" >&2
  exit 2
fi
for f in "$JAR" "$LAUNCHER"; do
  [ -f "$f" ] || { echo "$f is missing: build first (see BENCHMARKS.md)" >&2; exit 2; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

java -cp "$JAR" dev.llamashim.bench.RequestBodies "$tmp"
mkdir -p "$tmp/nginx"
# nginx as a plain reverse proxy: upstream keep-alive, unbuffered (each SSE event goes on at once,
# as the launcher sends it), its access log on as it ships.
cat >"$tmp/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile 20000;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log $tmp/nginx/access.log;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  upstream model { server 127.0.0.1:$UPSTREAM_PORT; keepalive 1024; }
  server {
    listen 127.0.0.1:$NGINX_PORT backlog=1024;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
EOF

java -Xmx512m -cp "$JAR" dev.llamashim.bench.BenchUpstream $UPSTREAM_PORT 0 >"$tmp/upstream.log" 2>&1 &
upstream=$!; pids+=($upstream)
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" -g 'daemon off;' 2>"$tmp/nginx/stderr.log" &
nginx_master=$!; pids+=($nginx_master)
# The launcher at its defaults (log level INFO: an access log line per request, to a file), a 1 GiB heap at most.
# shellcheck disable=SC2086
java -Xmx1g ${LAUNCHER_JAVA_OPTS:-} -jar "$LAUNCHER" --proxy-port $LAUNCHER_PORT \
    --target-url http://127.0.0.1:$UPSTREAM_PORT ${LAUNCHER_ARGS:-} >"$OUT/wrk-launcher.log" 2>&1 &
launcher=$!; pids+=($launcher)
# shellcheck disable=SC2086
java -Xmx1g -jar "$LAUNCHER" --proxy-port $REPAIR_PORT --mode repair \
    --target-url http://127.0.0.1:$UPSTREAM_PORT ${LAUNCHER_ARGS:-} >"$tmp/repair-launcher.log" 2>&1 &
repair=$!; pids+=($repair)

launcher0="" repair0=""
ports=($UPSTREAM_PORT $NGINX_PORT $LAUNCHER_PORT $REPAIR_PORT)
if [ -n "${LAUNCHER_BEFORE:-}" ]; then
  # shellcheck disable=SC2086
  java -Xmx1g -jar "$LAUNCHER_BEFORE" --proxy-port $BEFORE_PORT \
      --target-url http://127.0.0.1:$UPSTREAM_PORT ${LAUNCHER_ARGS:-} ${LAUNCHER_BEFORE_ARGS:-} >"$tmp/before-launcher.log" 2>&1 &
  launcher0=$!; pids+=($launcher0); ports+=($BEFORE_PORT)
  case " ${CELLS[*]} " in *" stream "*)
    # and in mode repair for the stream cell (target repair0)
    # shellcheck disable=SC2086
    java -Xmx1g -jar "$LAUNCHER_BEFORE" --proxy-port $BEFORE_REPAIR_PORT --mode repair \
        --target-url http://127.0.0.1:$UPSTREAM_PORT ${LAUNCHER_ARGS:-} ${LAUNCHER_BEFORE_ARGS:-} >"$tmp/before-repair-launcher.log" 2>&1 &
    repair0=$!; pids+=($repair0); ports+=($BEFORE_REPAIR_PORT) ;;
  esac
fi
for port in "${ports[@]}"; do
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
done

# The processes whose CPU time a target costs: the fake's for direct, nginx's workers, a launcher's.
target_pids() {
  case "$1" in
    direct) echo $upstream ;;
    nginx) pgrep -P $nginx_master | tr '\n' ' ' ;;
    pass|shim) echo $launcher ;;
    repair) echo $repair ;;
    pass0|shim0) echo $launcher0 ;;
    repair0) echo $repair0 ;;
  esac
}
ticks() { local t=0 pid; for pid in "$@"; do t=$((t + $(awk '{print $14 + $15}' /proc/$pid/stat))); done; echo $t; }

# run TARGET CONCURRENCY DELAY_MS BODY SECONDS: one wrk slice; prints "RESULT ... ticks=N load=L"
run() {
  local target=$1 c=$2 delay=$3 body=$4 secs=$5 port
  case "$target" in
    direct) port=$UPSTREAM_PORT ;; nginx) port=$NGINX_PORT ;; pass|shim) port=$LAUNCHER_PORT ;; repair) port=$REPAIR_PORT ;; pass0|shim0) port=$BEFORE_PORT ;; repair0) port=$BEFORE_REPAIR_PORT ;;
  esac
  local procs before after result
  procs=$(target_pids "$target")
  # shellcheck disable=SC2086
  before=$(ticks $procs)
  result=$(BODY="$tmp/$body" wrk -t2 -c"$c" -d"${secs}s" --timeout 10s -s benchmarks/wrk/post.lua \
      "http://127.0.0.1:$port/v1/chat/completions?delay_ms=$delay" | grep '^RESULT')
  # shellcheck disable=SC2086
  after=$(ticks $procs)
  echo "$result ticks=$((after - before)) load=$(cut -d' ' -f1 /proc/loadavg)"
}

body_for() { # CELL TARGET
  case "$1:$2" in
    stream:repair|stream:repair0) echo tools-stream.json ;;
    stream:*) echo plain-stream.json ;;
    *:shim|*:shim0) echo tools-stream.json ;;
    *) echo tools-nonstream.json ;;
  esac
}

# Warm-up until the JIT is mostly done: the launchers take turns (every kind of request) until their
# C1/C2 compiler threads spent under 5% of the process's CPU time in one turn, 20 turns at most.
# On a loaded machine the compilers get little CPU: a launcher measured after a fixed 10 s was still
# compiling minutes later, at up to half of its CPU time.
compiler_ticks() { local t=0 task; for task in /proc/$1/task/*; do
  case "$(cat "$task/comm")" in C1\ Compiler*|C2\ Compiler*) t=$((t + $(awk '{print $14 + $15}' "$task/stat"))) ;; esac; done; echo $t; }
warm=($launcher $launcher0)
case " ${CELLS[*]} " in *" stream "*) warm+=($repair $repair0) ;; esac
for turn in $(seq 20); do
  declare -A t0=() c0=()
  for pid in "${warm[@]}"; do t0[$pid]=$(ticks $pid); c0[$pid]=$(compiler_ticks $pid); done
  run pass 64 0 tools-nonstream.json 3 >/dev/null; run shim 64 0 tools-stream.json 3 >/dev/null
  run pass 64 0 plain-stream.json 3 >/dev/null
  # A request that waits 200 ms takes paths a quick one never does (the hang-up watch).
  run pass 256 200 tools-nonstream.json 3 >/dev/null; run shim 256 200 tools-stream.json 3 >/dev/null
  case " ${warm[*]} " in *" $repair "*) run repair 64 0 tools-stream.json 3 >/dev/null ;; esac
  if [ -n "$repair0" ]; then run repair0 64 0 tools-stream.json 3 >/dev/null; fi
  if [ -n "$launcher0" ]; then run pass0 64 0 tools-nonstream.json 3 >/dev/null; run shim0 64 0 tools-stream.json 3 >/dev/null
    run pass0 256 200 tools-nonstream.json 3 >/dev/null; run shim0 256 200 tools-stream.json 3 >/dev/null; fi
  done_warming=1 report=""
  for pid in "${warm[@]}"; do
    c=$(( $(compiler_ticks $pid) - c0[$pid] )) t=$(( $(ticks $pid) - t0[$pid] ))
    report="$report $c/$t"
    [ $((c * 100)) -lt $((t * 5)) ] || done_warming=0
  done
  echo "# warm-up turn $turn: compiler/process ticks per launcher:$report" >&2
  [ $done_warming -eq 1 ] && break
done

raw="$OUT/wrk-raw.txt"; : >"$raw"
for cell in "${CELLS[@]}"; do
  case "$cell" in
    d0) c=64 delay=0 targets=(direct nginx pass shim) ;;
    d200-256) c=256 delay=200 targets=(direct nginx pass shim) ;;
    d200-1024) c=1024 delay=200 targets=(direct nginx pass shim) ;;
    stream) c=64 delay=0 targets=(direct nginx pass repair) ;;
    ab) c=64 delay=0 targets=(nginx pass pass0 shim shim0) ;;
    *) echo "unknown cell $cell" >&2; exit 2 ;;
  esac
  if [ -n "$launcher0" ] && [ "$cell" != ab ]; then targets+=(pass0); if [ "$cell" = stream ]; then targets+=(repair0); else targets+=(shim0); fi; fi
  for round in $(seq "$ROUNDS"); do
    order=("${targets[@]}")
    # Alternate the order round by round, so no target always follows the same one.
    if [ $((round % 2)) -eq 0 ]; then order=(); for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[$i]}"); done; fi
    for target in "${order[@]}"; do
      echo "$cell $c $delay $target $(run "$target" "$c" "$delay" "$(body_for "$cell" "$target")" "$SECONDS_PER_SLICE")" | tee -a "$raw" >&2
    done
  done
done

# One row per cell and target: sums over its slices; CPU per request (and per event for streams)
# from the target's process CPU time; ratio against nginx, or against the ideal c / delay.
awk -v events=$STREAM_EVENTS -v hz="$(getconf CLK_TCK)" '
  function val(field,   kv) { split(field, kv, "="); return kv[2] }
  { key = $1 " " $4; if (!(key in seen)) { seen[key] = 1; keys[++n] = key; c[key] = $2; d[key] = $3 }
    for (i = 5; i <= NF; i++) { split($i, kv, "="); f[key, kv[1]] += kv[2]; if (kv[1] == "p99_us" && kv[2] > p99[key]) p99[key] = kv[2] }
    slices[key]++; loads[key] = loads[key] " " val($NF) }
  END {
    print "| cell | target | req/s | events/s | p50 ms | p99 ms (worst slice) | errors | CPU µs/req | CPU µs/event | ratio | load avg per slice |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for (k = 1; k <= n; k++) {
      key = keys[k]; split(key, parts, " "); cell = parts[1]; target = parts[2]
      rps = f[key, "requests"] / (f[key, "duration_us"] / 1e6); rate[key] = rps
      cpu = f[key, "ticks"] / hz * 1e6 / f[key, "requests"]
      ev = cell == "stream" ? sprintf("%.0f", rps * events) : "-"
      cpuev = cell == "stream" ? sprintf("%.1f", cpu / events) : "-"
      ratio = d[key] > 0 ? sprintf("%.2f of ideal", rps / (c[key] / (d[key] / 1000))) : \
              (target == "direct" || target == "nginx" ? "-" : sprintf("%.2f of nginx", rps / rate[cell " nginx"]))
      if (target == "shim") ratio = ratio sprintf(", %.2f of pass", rps / rate[cell " pass"])
      if (target == "shim0") ratio = ratio sprintf(", %.2f of pass0", rps / rate[cell " pass0"])
      errs = f[key, "errors"] + f[key, "non2xx"]
      printf "| %s c=%d delay=%d | %s | %.0f | %s | %.1f | %.1f | %d | %.0f | %s | %s |%s |\n", cell, c[key], d[key], target, rps, ev,
        f[key, "p50_us"] / slices[key] / 1000, p99[key] / 1000, errs, cpu, cpuev, ratio, loads[key]
    }
  }' "$raw"
