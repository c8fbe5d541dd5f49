#!/bin/bash
# minilaunch update-context, read back by the real kubectl.
. "$ML_TOP_SRCDIR/tests/lib.sh"

command -v kubectl >/dev/null || { t_fail "kubectl is not installed (scripts/deps installs it)"; t_summary; exit 1; }
kc=$HOME/.kube/config
mkdir -p "$HOME/.kube"
cat >"$kc" <<'YAML'
apiVersion: v1
kind: Config
clusters:
- name: work
  cluster:
    server: https://work.example.invalid:6443
    certificate-authority-data: ZmFrZS1jYQ==
contexts:
- name: work
  context:
    cluster: work
    user: work-user
    namespace: team
current-context: work
preferences:
  colors: true
users:
- name: work-user
  user:
    token: s3cret
YAML

t_run update-context
t_eq "no profile: exit 1" 1 "$T_RC"
"$MINILAUNCH" config set cpus 1
t_run update-context
t_eq "profile never started: exit 1" 1 "$T_RC"
t_check "says to start it" grep -q "profile 'minilaunch' is not running (status: Not created): run 'minilaunch -p minilaunch start'" "$T_TMP/err"

"$ML_FIXTURE" "$MINILAUNCH_HOME" minilaunch Running 42376 48443
t_run update-context
t_eq "update-context exits 0" 0 "$T_RC"
t_eq "update-context prints nothing on stdout" "" "$T_OUT"
t_eq "contexts" "minilaunch work" "$(kubectl config get-contexts -o name | sort | xargs)"
t_eq "current context" "minilaunch" "$(kubectl config current-context)"
t_eq "server" "https://127.0.0.1:48443" \
	"$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
ca=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')
crt=$(kubectl config view --minify -o jsonpath='{.users[0].user.client-certificate}')
key=$(kubectl config view --minify -o jsonpath='{.users[0].user.client-key}')
t_eq "CA by absolute path" "$MINILAUNCH_HOME/profiles/minilaunch/certs/ca.crt" "$ca"
t_eq "client cert by absolute path" "$MINILAUNCH_HOME/profiles/minilaunch/certs/admin.crt" "$crt"
t_eq "client key by absolute path" "$MINILAUNCH_HOME/profiles/minilaunch/certs/admin.key" "$key"
t_check "the admin cert verifies against the CA" openssl verify -CAfile "$ca" "$crt"
t_check "the admin cert is a cluster admin" bash -c "openssl x509 -in '$crt' -noout -subject | grep -q 'O = system:masters'"
t_eq "the other cluster survives" "https://work.example.invalid:6443 ZmFrZS1jYQ==" \
	"$(kubectl config view --raw -o jsonpath='{.clusters[?(@.name=="work")].cluster.server} {.clusters[?(@.name=="work")].cluster.certificate-authority-data}')"
t_eq "the other user survives" "s3cret" \
	"$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="work-user")].user.token}')"
t_eq "the other context survives" "team" \
	"$(kubectl config view -o jsonpath='{.contexts[?(@.name=="work")].context.namespace}')"
t_eq "preferences survive" "true" "$(kubectl config view -o jsonpath='{.preferences.colors}')"

# the port changes: the entry is replaced, not duplicated
"$ML_FIXTURE" "$MINILAUNCH_HOME" minilaunch Running 42376 49443
"$MINILAUNCH" update-context
t_eq "server follows the state" "https://127.0.0.1:49443" \
	"$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
t_eq "no duplicate entries" 2 "$(kubectl config view -o jsonpath='{range .clusters[*]}{.name}{"\n"}{end}' | wc -l)"

# $KUBECONFIG: the first file is written, the others are left alone
: >"$T_TMP/b.yaml"
KUBECONFIG="$T_TMP/a.yaml:$T_TMP/b.yaml" "$MINILAUNCH" update-context
t_check "first KUBECONFIG file written" grep -q 'server: https://127.0.0.1:49443' "$T_TMP/a.yaml"
t_eq "first KUBECONFIG file mode" 600 "$(stat -c %a "$T_TMP/a.yaml")"
t_eq "second KUBECONFIG file untouched" 0 "$(stat -c %s "$T_TMP/b.yaml")"

# a malformed file is named and left as it was
printf 'clusters: [\n  - name: x\n' >"$T_TMP/bad.yaml"
cp "$T_TMP/bad.yaml" "$T_TMP/bad.orig"
t_run update-context --kubeconfig "$T_TMP/bad.yaml"
t_eq "malformed kubeconfig: exit 1" 1 "$T_RC"
t_check "malformed kubeconfig: named" grep -qF "$T_TMP/bad.yaml" "$T_TMP/err"
t_check "malformed kubeconfig: untouched" cmp -s "$T_TMP/bad.yaml" "$T_TMP/bad.orig"

# a lock held by another writer (kubectl's FILE.lock) is waited for, then reported
touch "$kc.lock"
t_run update-context
t_eq "held lock: exit 1" 1 "$T_RC"
t_check "held lock: names the lock file" grep -qF "$kc.lock" "$T_TMP/err"
rm -f "$kc.lock"
t_check "no lock left behind" test ! -e "$kc.lock"

t_summary
