#!/usr/bin/env bash
# http_auth_tls_test.sh: security of the admin's front door (issue 11). With --token-file every request needs the
# token, reads included, unless --public-reads; /healthz stays open. `flytec serve --tls-cert/--tls-key` speaks
# HTTPS (libmicrohttpd with GnuTLS) and the CLI trusts a private CA with --ca-file / FLYTEC_CA_FILE. The CA and
# certificate are made here with openssl, in the test's temp dir.
source "$(dirname "$0")/../integration/admin_lib.sh"

echo "s3cret" >"$T/token"
AUTH=(-H "Authorization: Bearer s3cret")

# --- token on every request ---
adm_start --no-executor --no-scheduler --token-file "$T/token"
get /healthz;                         check "healthz needs no token" eq "$CODE" 200
get /api/v1/projects;                 check "a read without the token: 401" eq "$CODE" 401
check "the 401 is JSON unauthenticated" eq "$(jget 'd["code"]')" unauthenticated
get /api/v1/projects -H "Authorization: Bearer wrong"; check "a read with a wrong token: 401" eq "$CODE" 401
get /api/v1/projects "${AUTH[@]}";    check "a read with the token: 200" eq "$CODE" 200
get /metrics;                         check "metrics need the token" eq "$CODE" 401
get /api/v1/repository/status;        check "repository status needs the token" eq "$CODE" 401
get /api/v1/nope "${AUTH[@]}";        check "unknown routes stay 404 with the token" eq "$CODE" 404
post /api/v1/projects '{"project":{"id":"p1","name":"p1"}}'; check "a write without the token: 401" eq "$CODE" 401
post /api/v1/projects '{"project":{"id":"p1","name":"p1"}}' "${AUTH[@]}"; check "a write with the token: 200" eq "$CODE" 200
FLYTEC_ADMIN=$URL "$FLYTEC" status >"$T/o" 2>"$T/e"
check "flytec status without the token fails" test $? -ne 0
check "and says how to give the token" grep -q -- "--token-file" "$T/e"
FLYTEC_ADMIN=$URL FLYTEC_TOKEN_FILE=$T/token "$FLYTEC" status >"$T/o" 2>"$T/e"
check "flytec status with FLYTEC_TOKEN_FILE works" eq "$?" 0
adm_stop

# --- public reads ---
adm_start --no-executor --no-scheduler --token-file "$T/token" --public-reads
get /api/v1/projects;                 check "public reads: a read without the token: 200" eq "$CODE" 200
post /api/v1/projects '{"project":{"id":"p2","name":"p2"}}'; check "public reads: a write still needs it" eq "$CODE" 401
adm_stop
"$FLYTEC" serve --db "$T/x.db" --public-reads --listen 127.0.0.1:0 >"$T/o" 2>&1
check "--public-reads without --token-file is a usage error" eq "$?" 2

# --- TLS ---
if ! "$FLYTEC" serve --help | grep -q -- --tls-cert; then
	check "serve has --tls-cert" false
fi
(
	cd "$T" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj /CN=flytec-test-ca >/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr \
		-subj /CN=localhost >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext \
		>/dev/null 2>&1 &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key -out other.pem \
		-days 2 -subj /CN=other-ca >/dev/null 2>&1
) || { echo "FAIL: openssl could not make the test certificates"; exit 1; }

adm_start --no-executor --no-scheduler --token-file "$T/token" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
check "serve says it listens on https" grep -q "listening on https://" "$T/server.log"
URL="https://127.0.0.1:$PORT"
get /healthz --cacert "$T/ca.pem";    check "https with the CA: healthz 200" eq "$CODE" 200
get /api/v1/projects --cacert "$T/ca.pem" "${AUTH[@]}"; check "https with the CA and token: 200" eq "$CODE" 200
get /api/v1/projects --cacert "$T/ca.pem"; check "https without the token: 401" eq "$CODE" 401
get /healthz;                         check "https without the CA fails (curl)" eq "$CODE" 000
CODE=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
check "plain http to the TLS port gets no answer" test "$CODE" != 200

FLYTEC_ADMIN=$URL FLYTEC_TOKEN_FILE=$T/token "$FLYTEC" status --ca-file "$T/ca.pem" >"$T/o" 2>"$T/e"
check "flytec status over https with --ca-file works" eq "$?" 0
check "and shows the status table" grep -q "file(s)" "$T/o"
FLYTEC_ADMIN=$URL FLYTEC_TOKEN_FILE=$T/token FLYTEC_CA_FILE=$T/ca.pem "$FLYTEC" status >"$T/o" 2>"$T/e"
check "FLYTEC_CA_FILE works too" eq "$?" 0
FLYTEC_ADMIN=$URL FLYTEC_TOKEN_FILE=$T/token "$FLYTEC" status >"$T/o" 2>"$T/e"
check "without the CA flytec status fails" test $? -ne 0
check "with a clear message naming --ca-file" grep -q "certificate is not trusted.*--ca-file" "$T/e"
FLYTEC_ADMIN=$URL FLYTEC_TOKEN_FILE=$T/token "$FLYTEC" status --ca-file "$T/other.pem" >"$T/o" 2>"$T/e"
check "with the wrong CA it fails the same way" grep -q "not trusted by the CA file given" "$T/e"
adm_stop

# bad TLS files are clear errors at start
"$FLYTEC" serve --db "$T/x.db" --listen 127.0.0.1:0 --tls-cert "$T/srv.pem" >"$T/o" 2>&1
check "--tls-cert without --tls-key is refused" grep -q "needs both" "$T/o"
"$FLYTEC" serve --db "$T/x.db" --listen 127.0.0.1:0 --tls-cert "$T/ext" --tls-key "$T/srv.key" >"$T/o" 2>&1
check "a certificate that is not PEM is refused clearly" grep -q "not a PEM file" "$T/o"
"$FLYTEC" serve --db "$T/x.db" --listen 127.0.0.1:0 --tls-cert "$T/nope.pem" --tls-key "$T/srv.key" >"$T/o" 2>&1
check "a missing certificate file is refused clearly" grep -q "nope.pem" "$T/o"
adm_done
