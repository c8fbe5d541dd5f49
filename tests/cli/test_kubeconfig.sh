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

for sec in clusters:cluster contexts:context users:user; do
	t_eq "our ${sec#*:} carries the mark" "minilaunch/minilaunch" \
		"$(kubectl config view -o jsonpath="{.${sec%:*}[?(@.name==\"minilaunch\")].${sec#*:}.extensions[?(@.name==\"minilaunch\")].extension.provider}/{.${sec%:*}[?(@.name==\"minilaunch\")].${sec#*:}.extensions[?(@.name==\"minilaunch\")].extension.profile}")"
done

# entries of the same name that minilaunch did not write are never replaced
kubectl config set-cluster mine --server=https://mine.example.invalid:6443 >/dev/null
kubectl config set-context theirs --cluster=work --user=work-user >/dev/null
cp "$kc" "$T_TMP/kc.before"
"$ML_FIXTURE" "$MINILAUNCH_HOME" mine Running 42376 48443
t_run -p mine update-context
t_eq "foreign cluster of that name: exit 1" 1 "$T_RC"
t_eq "foreign cluster of that name: one line" 1 "$(wc -l <"$T_TMP/err")"
t_check "foreign cluster: names the entry and the fix" grep -qF \
	"kubeconfig '$kc' has a cluster 'mine' that minilaunch did not write: use another profile name with -p, or rename or delete yours ('kubectl config delete-cluster mine')" "$T_TMP/err"
t_check "foreign cluster: kubeconfig untouched" cmp -s "$kc" "$T_TMP/kc.before"
t_run -p theirs start --driver-uri "qemu+unix:///session?socket=$T_TMP/none/session"
t_eq "start meeting a foreign context: exit 1" 1 "$T_RC"
t_eq "start meeting a foreign context: one line" 1 "$(wc -l <"$T_TMP/err")"
t_check "start names the context and the fix" grep -qF \
	"has a context 'theirs' that minilaunch did not write: use another profile name with -p, or rename or delete yours ('kubectl config rename-context theirs NEW')" "$T_TMP/err"
t_check "start refused before making the profile" test ! -e "$MINILAUNCH_HOME/profiles/theirs"
t_check "start refused: kubeconfig untouched" cmp -s "$kc" "$T_TMP/kc.before"
t_eq "the user's context survives" "work" \
	"$(kubectl config view -o jsonpath='{.contexts[?(@.name=="theirs")].context.cluster}')"
# delete of a profile that does not exist keeps the user's entries of that
# name (delete asks libvirt for the VM first: only where the system one runs)
if [ "$(id -u)" = 0 ] && [ -S /var/run/libvirt/libvirt-sock ] && pgrep -x libvirtd >/dev/null; then
	t_run -p theirs delete
	t_eq "delete of a missing profile: exit 0" 0 "$T_RC"
	t_check "delete kept the user's context of that name" cmp -s "$kc" "$T_TMP/kc.before"
else
	t_skip "delete keeps the user's entries" "needs root and the system libvirtd"
fi
kubectl config delete-cluster mine >/dev/null
kubectl config delete-context theirs >/dev/null

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


# entries an older minilaunch wrote, without the mark, are adopted when their
# files are under this home; the same under a sibling home stay the user's
"$ML_FIXTURE" "$MINILAUNCH_HOME" legacy Running 42376 50443
"$ML_FIXTURE" "$MINILAUNCH_HOME" sib Running 42376 51443
mkdir -p "${MINILAUNCH_HOME}2/certs" "${MINILAUNCH_HOME}2/profiles/sib/certs"
cp "$MINILAUNCH_HOME/certs/ca.crt" "${MINILAUNCH_HOME}2/certs/ca.crt"
cp "$MINILAUNCH_HOME/profiles/sib/certs/admin.crt" "$MINILAUNCH_HOME/profiles/sib/certs/admin.key" \
	"${MINILAUNCH_HOME}2/profiles/sib/certs/"
for p in legacy:$MINILAUNCH_HOME sib:${MINILAUNCH_HOME}2; do
	n=${p%%:*} h=${p#*:}
	kubectl config set-cluster "$n" --server=https://127.0.0.1:8443 \
		--certificate-authority="$h/certs/ca.crt" >/dev/null
	kubectl config set-credentials "$n" --client-certificate="$h/profiles/$n/certs/admin.crt" \
		--client-key="$h/profiles/$n/certs/admin.key" >/dev/null
	kubectl config set-context "$n" --cluster="$n" --user="$n" >/dev/null
done
t_run -p legacy update-context
t_eq "unmarked entry under this home: exit 0" 0 "$T_RC"
t_eq "unmarked entry under this home: adopted" "https://127.0.0.1:50443" \
	"$(kubectl config view --minify --context legacy -o jsonpath='{.clusters[0].cluster.server}')"
for sec in clusters:cluster contexts:context users:user; do
	t_eq "adopted ${sec#*:} now carries the mark" "minilaunch/legacy" \
		"$(kubectl config view -o jsonpath="{.${sec%:*}[?(@.name==\"legacy\")].${sec#*:}.extensions[?(@.name==\"minilaunch\")].extension.provider}/{.${sec%:*}[?(@.name==\"legacy\")].${sec#*:}.extensions[?(@.name==\"minilaunch\")].extension.profile}")"
done
t_eq "adopted: one cluster of that name" 1 \
	"$(kubectl config view -o jsonpath='{range .clusters[*]}{.name}{"\n"}{end}' | grep -cx legacy)"
cp "$kc" "$T_TMP/kc.before"
t_run -p sib update-context
t_eq "unmarked entry under a sibling home: exit 1" 1 "$T_RC"
t_check "sibling home: names the entry" grep -qF \
	"kubeconfig '$kc' has a cluster 'sib' that minilaunch did not write" "$T_TMP/err"
t_check "sibling home: kubeconfig untouched" cmp -s "$kc" "$T_TMP/kc.before"
t_eq "sibling home: the user's cluster survives" "https://127.0.0.1:8443" \
	"$(kubectl config view -o jsonpath='{.clusters[?(@.name=="sib")].cluster.server}')"

t_summary
