#!/usr/bin/env bash
# repo_symlink_escape_test.sh: a symbolic link out of the watched repository leaks nothing (issue 19.6). The
# repository status is readable without a token; a link to /etc/passwd (or to any file or directory outside the
# repository) must not be read: its status names the link (error[ExternalLink]), never the content. Links inside
# the repository still work, and --follow-external-links reads outside files on purpose.
. "$(dirname "$0")/../integration/admin_lib.sh"

R=$T/repo
O=$T/outside
mkdir -p "$R" "$O/dir"
printf 'project: demo\ntasks:\n  - name: t\n    container: {image: alpine}\n' >"$R/tasks.yaml"
printf 'SECRET-CONTENT: [unclosed\n' >"$O/secret.yaml"
printf 'SECRET-IN-DIR: [unclosed\n' >"$O/dir/inner.yaml"
ln -s /etc/passwd "$R/pw.yaml"
ln -s "$O/dir" "$R/ext"
echo token123 >"$T/token"
adm_start --repo "$R" --no-executor --no-scheduler --token-file "$T/token" --public-reads || exit 1

status_of() { # path -> its diagnostics ('' when absent)
	get /api/v1/repository/status
	jget "([f.get('diagnostics','') for f in d['files'] if f['path']=='$1'] or [''])[0]"
}
check "the status is readable without a token" wait_for /api/v1/repository/status \
	"[f['ok'] for f in d['files'] if f['path']=='pw.yaml']" "[false]"
diag=$(status_of pw.yaml)
check "the link is named" contains "$diag" "pw.yaml: error[ExternalLink]"
get /api/v1/repository/status
all=$(cat "$T/out")
check "no line of /etc/passwd in the status" eval '! grep -q "root:" <<<"$all"'
check "no content of a file in a linked directory" eval '! grep -q "SECRET" <<<"$all"'

# a link made while serve watches
ln -s "$O/secret.yaml" "$R/late.yaml"
check "a link created later is refused too" wait_for /api/v1/repository/status \
	"[f['ok'] for f in d['files'] if f['path']=='late.yaml']" "[false]"
diag=$(status_of late.yaml)
check "... naming the link" contains "$diag" "late.yaml: error[ExternalLink]"
check "... without its content" eval '! grep -q "SECRET" <<<"$diag"'
out=$("$FLYTEC" status --admin "$URL" 2>&1)
check "flytec status names the link" contains "$out" "late.yaml: error[ExternalLink]"
check "flytec status shows no content" eval '! grep -q "SECRET\|root:" <<<"$out"'

# a link inside the repository is followed
ln -s tasks.yaml "$R/alias.yaml"
check "a link inside the repository is read" wait_for /api/v1/repository/status \
	"[f['ok'] for f in d['files'] if f['path']=='alias.yaml']" "[true]"

# the option reads outside files on purpose
adm_stop
rm -f "$R/pw.yaml"
SERVE_ARGS=(--repo "$R" --no-executor --no-scheduler --follow-external-links)
adm_start || exit 1
check "with --follow-external-links the file is read" wait_for /api/v1/repository/status \
	"'ExternalLink' not in [f.get('diagnostics','') for f in d['files'] if f['path']=='late.yaml'][0]" "True"
adm_done
