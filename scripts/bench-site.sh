#!/usr/bin/env bash
# The intake site under the office's load: ten departments' accounts on a
# copy of the sample; department 1 uploads its workbook one request at a
# time while the nine others upload theirs over 45 connections, the office
# reloads its board over 4 and starts a build every two seconds (50 clients). wrk (Debian's package) makes the
# load and prints, for department 1, the median and 90th percentile from
# the end of its upload to its findings answered, and for everyone the
# requests that failed. Usage: scripts/bench-site.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN="${1:-20}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
# GYOKAKU_BIN: a binary already built (default: the dist build, made here).
if [ -n "${GYOKAKU_BIN:-}" ]; then
    BIN="$(realpath "$GYOKAKU_BIN")"
else
    cargo build --profile dist -q
    BIN="$PWD/target/dist/gyokaku"
fi
WORK="$(mktemp -d)"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
cp -r inputs "$WORK/plan"
PLAN="$WORK/plan"
echo "office-pass-1" | "$BIN" serve "$PLAN" --add-user office --office >/dev/null
PORT=18181
"$BIN" serve "$PLAN" --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -s -o /dev/null "$BASE/login" && break; sleep 0.1; done

# Signs in NAME with PASSWORD; prints the session cookie and the CSRF token.
sign_in() {
    local jar="$WORK/$1.jar"
    local token
    token=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
    curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "name=$1" --data-urlencode "password=$2" --data-urlencode "csrf=$token" "$BASE/login"
    local cookie
    cookie=$(awk '$6 == "gyokaku_session" { print $7 }' "$jar")
    local csrf
    csrf=$(curl -s -b "$jar" "$BASE/office/documents" "$BASE/dept" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}')
    echo "gyokaku_session=$cookie $csrf"
}

cat > "$WORK/upload.lua" <<'LUA'
local f = io.open(os.getenv("BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=GYOKAKUBENCH"
wrk.headers["Cookie"] = os.getenv("COOKIE")
wrk.headers["Accept"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("%s: %d uploads, median %.0f ms, p90 %.0f ms, max %.0f ms, failed %d (status %d, socket %d)\n",
    os.getenv("WHO"), summary.requests, latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

i=0
for file in "$PLAN"/submissions/*.xlsx; do
    i=$((i + 1))
    name="dept$i"
    department=$(basename "$file" .xlsx | sed 's/^[0-9]*_//')
    echo "pass-$name-1" | "$BIN" serve "$PLAN" --add-user "$name" --department "$department" >/dev/null
    read -r cookie csrf < <(sign_in "$name" "pass-$name-1")
    body="$WORK/$name.body"
    {
        printf -- '--GYOKAKUBENCH\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n%s\r\n' "$csrf"
        printf -- '--GYOKAKUBENCH\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\nContent-Type: application/octet-stream\r\n\r\n' "$(basename "$file")"
        cat "$file"
        printf -- '\r\n--GYOKAKUBENCH--\r\n'
    } > "$body"
    echo "$name $cookie $body $department" >> "$WORK/departments"
done

read -r office_cookie office_csrf < <(sign_in office office-pass-1)
(
    end=$((SECONDS + SECONDS_RUN))
    started=0 busy=0
    while [ $SECONDS -lt $end ]; do
        code=$(curl -s -o /dev/null -w "%{http_code}" -H "Cookie: $office_cookie" --data-urlencode "csrf=$office_csrf" "$BASE/office/build")
        if [ "$code" = 303 ]; then started=$((started + 1)); else busy=$((busy + 1)); fi
        sleep 2
    done
    echo "builds: $started started during the load, $busy refused while one ran"
) &
BUILDER=$!

echo "load: 50 clients for ${SECONDS_RUN} s: 1 + 45 uploading, 4 reloading the office's board; a build started every 2 s"
wrk -t1 -c4 -d"${SECONDS_RUN}s" --timeout 30s --latency -H "Cookie: $office_cookie" "$BASE/office" \
    | awk '/Requests\/sec|Non-2xx|Socket errors|requests in/ { print "office board (4 connections): " $0 }' &
first=1
while read -r name cookie body department; do
    if [ $first = 1 ]; then
        WHO="$department (1 connection)" COOKIE="$cookie" BODY="$body" wrk -t1 -c1 -d"${SECONDS_RUN}s" --timeout 30s -s "$WORK/upload.lua" "$BASE/dept/upload" | grep -v "^ \|^Running\|^Requests\|^Transfer\|requests in" &
        first=0
    else
        WHO="$department (5 connections)" COOKIE="$cookie" BODY="$body" wrk -t1 -c5 -d"${SECONDS_RUN}s" --timeout 30s -s "$WORK/upload.lua" "$BASE/dept/upload" | grep -v "^ \|^Running\|^Requests\|^Transfer\|requests in" &
    fi
done < "$WORK/departments"
wait
