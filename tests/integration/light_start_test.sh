#!/usr/bin/env bash
# The light `flytec` (docs/architecture.md, "Process start"): commands that need neither gRPC, libcurl,
# libmicrohttpd nor PCRE2 run without loading them (nor libarchive, unless an archive is read); the others are
# handed to flytec-full next to it, which must be found wherever the pair is copied, and a clear error names it when
# it is missing. What a command loads is read from the dynamic loader itself (LD_DEBUG=libs: every object it
# initializes) and, for a command that keeps running (the language server), from /proc/PID/maps.
set -u
cd "$(dirname "$0")/../.." || exit 2
flytec=${FLYTEC:-$PWD/bin/flytec}
full=$(dirname "$flytec")/flytec-full
T=$(mktemp -d "${TMPDIR:-/tmp}/flytec-light.XXXXXX")
lsp_pid=""
cleanup() {
	if [ -n "$lsp_pid" ] && kill -0 "$lsp_pid" 2>/dev/null; then
		kill "$lsp_pid" 2>/dev/null
		wait "$lsp_pid" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
check() { # check NAME COMMAND...: the command (a shell string) must succeed
	if (eval "${@:2}") >"$T/check.out" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $1"
	else
		fail=$((fail + 1))
		echo "FAIL $1"
		sed 's/^/     /' "$T/check.out" | head -n 15
	fi
}

# The libraries only flytec-full may load (and what they drag in: ICU and libxml2 come with libarchive, absl and
# c-ares with gRPC, nghttp2 with libcurl).
heavy='lib(grpc|gpr|absl_|cares|upb|re2|curl|nghttp2|microhttpd|pcre2|archive|xml2|icu)[^/]*\.so'

# loaded NAME ARGS...: run flytec ARGS under LD_DEBUG=libs; the objects it initialized go to $T/NAME.libs
loaded() {
	local name=$1
	shift
	LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/$name.ld" "$flytec" "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null
	local rc=$?
	cat "$T/$name".ld.* 2>/dev/null | grep -E 'calling init: ' | sed 's/.*calling init: //' | sort -u >"$T/$name.libs"
	rm -f "$T/$name".ld.*
	return $rc
}
# light NAME: the run recorded by `loaded NAME` initialized none of the heavy libraries (and did initialize libc, so
# an empty list cannot pass; libyaml, jansson, sqlite... may be linked in statically, LIGHT_STATIC in the Makefile)
light() {
	grep -q 'libc\.so' "$T/$1.libs" || { echo "libc was not even loaded:"; cat "$T/$1.libs"; return 1; }
	if grep -E "$heavy" "$T/$1.libs"; then echo "heavy libraries loaded by 'flytec $1'"; return 1; fi
	return 0
}

mkdir -p "$T/spec" "$T/data"
cp examples/workflows/hello.yaml "$T/spec/"

check "ldd of flytec names no heavy library" '! ldd "$flytec" | grep -E "$heavy"'
check "ldd of flytec-full names gRPC and libcurl (the check can see them)" \
	'ldd "$full" | grep -q libgrpc && ldd "$full" | grep -q libcurl'
check "--version is light" 'loaded version --version && grep -q "^flytec " "$T/version.out" && light version'
check "help is light and lists the heavy commands too" \
	'loaded help help && grep -q "^  serve " "$T/help.out" && grep -q "^  propeller " "$T/help.out" && light help'
check "compile is light" 'loaded compile compile -q -o "$T/out" "$T/spec" && ls "$T/out"/workflows/*.pb && light compile'
check "compile with errors is light (exit 1)" \
	'printf "workflow: [\n" > "$T/bad.yaml"; loaded compile-bad compile "$T/bad.yaml"; test $? -eq 1 && light compile-bad'
check "run is light" \
	'loaded run run "$T/spec/hello.yaml" --data-dir "$T/data" --input name=light && grep -q "Hello, light!" "$T/run.out" && light run'
check "schedule next is light" 'loaded schedule schedule next "*/5 * * * *" --count 2 && light schedule'
check "explain is light" 'loaded explain explain --list && light explain'
check "k8s manifests is light" 'loaded k8s k8s manifests && grep -q CustomResourceDefinition "$T/k8s.out" && light k8s'
check "diff of two files is light" \
	'loaded diff diff "$T/spec/hello.yaml" "$T/spec/hello.yaml" && light diff'
check "the detection sees a heavy command (serve --help initializes gRPC)" \
	'loaded serve-help serve --help && grep -q "^usage: flytec serve" "$T/serve-help.out" && grep -E "libgrpc" "$T/serve-help.libs"'

# libarchive: loaded when an archive is read or written, and only then
check "package writes a .tgz (libarchive loaded on use)" \
	'loaded package package -o "$T/pkg.tgz" "$T/spec" && test -s "$T/pkg.tgz" && grep -q libarchive "$T/package.libs"'
check "compile reads the .tgz it wrote (libarchive loaded on use), same workflow" \
	'loaded compile-tgz compile "$T/pkg.tgz" && grep -q libarchive "$T/compile-tgz.libs" && grep -q "^workflow examples/development/hello@" "$T/compile-tgz.out"'
check "compile of YAML next to the .tgz test did not load libarchive" '! grep -q libarchive "$T/compile.libs"'

# a command that stays up: its memory map, read while it runs
check "the language server's memory map has no heavy library" '
	mkfifo "$T/lsp.in"
	"$flytec" lsp <"$T/lsp.in" >"$T/lsp.out" 2>"$T/lsp.err" &
	lsp_pid=$!
	exec 9>"$T/lsp.in"
	req="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}"
	printf "Content-Length: %d\r\n\r\n%s" "${#req}" "$req" >&9
	for _ in $(seq 1 200); do grep -q "serverInfo" "$T/lsp.out" 2>/dev/null && break; sleep 0.05; done
	cp "/proc/$lsp_pid/maps" "$T/lsp.maps"
	exec 9>&-
	wait "$lsp_pid"; lsp_pid=""
	grep -q "serverInfo" "$T/lsp.out" && grep -q "libc\.so" "$T/lsp.maps" && ! grep -E "$heavy" "$T/lsp.maps"'

# the hand-over: same process (exec), flytec-full found next to flytec, wherever the pair is copied
check "a heavy command runs in flytec-full, in the same process" '
	"$flytec" serve --db "$T/admin.db" --listen 127.0.0.1:0 --port-file "$T/port" >"$T/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
	exe=$(readlink "/proc/$pid/exe"); kill "$pid"; wait "$pid"
	test -s "$T/port" && test "$exe" = "$(readlink -f "$full")"'
check "diff --admin hands over (the admin client is in flytec-full)" \
	'"$flytec" diff --admin http://127.0.0.1:1 workflow/x v1 "$T/spec/hello.yaml" 2>"$T/e"; test $? -eq 2 && grep -q "GET http://127.0.0.1:1/" "$T/e"'
check "schedule pause hands over" \
	'"$flytec" schedule pause lp --admin http://127.0.0.1:1 2>"$T/e"; test $? -ne 0 && grep -q "POST http://127.0.0.1:1/" "$T/e"'
mkdir -p "$T/moved" "$T/alone"
cp "$flytec" "$full" "$T/moved/"
cp "$flytec" "$T/alone/"
check "a moved pair still runs heavy commands" '"$T/moved/flytec" get --help | grep -q "^usage: flytec get"'
check "flytec without flytec-full: light commands still run" '"$T/alone/flytec" compile -q "$T/spec"'
check "flytec without flytec-full: a heavy command exits 2 naming the missing file" \
	'"$T/alone/flytec" serve --help 2>"$T/e"; test $? -eq 2 && grep -qF "$T/alone/flytec-full" "$T/e" && grep -q "flytec serve" "$T/e"'

echo "light_start: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
