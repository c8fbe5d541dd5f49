# scripts/lib.sh: shared by scripts/quickstart and scripts/check.
# Installs what is missing with apt-get (as root) and builds out of tree.
set -euo pipefail

ML_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ML_BUILD=${ML_BUILD:-$ML_ROOT/build}
export DEBIAN_FRONTEND=noninteractive

# Debian packages, by purpose.
ML_PKGS_BUILD="autoconf automake make gcc pkg-config libvirt-dev libcurl4-openssl-dev
	libarchive-dev libncurses-dev check libssl-dev libjson-c-dev libyaml-dev"
ML_PKGS_TEST="openssl jq bash dash zsh fish valgrind openssh-client tmux curl iproute2 docker.io socat busybox-static
	unbound bind9-dnsutils strace dnsperf"
# Installing these would start a daemon through /etc/init.d (there is no
# systemd here): unbound would come up as a resolver on port 53 and fetch
# its trust anchor from the internet. ml_install keeps them from starting.
ML_PKGS_NO_START="unbound"

ML_PKGS_VM="libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base
	busybox-static"

ml_say() { printf '==> %s\n' "$*" >&2; }
ml_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ml_need_root() {
	[ "$(id -u)" -eq 0 ] || ml_die "installing packages needs root: run this as root (or with sudo)"
}

# ml_install PKG...: apt-get install the packages that are not installed yet.
ml_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	ml_need_root
	ml_say "installing ${missing[*]}"
	if [ ! -f /var/lib/apt/ml-updated ] ||
		[ -n "$(find /var/lib/apt/ml-updated -mmin +720 2>/dev/null)" ]; then
		apt-get update -q >&2
		touch /var/lib/apt/ml-updated
	fi
	# policy-rc.d answering 101 stops invoke-rc.d from starting anything;
	# a machine that has one already (as containers do) keeps its own.
	local guard= rc=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		for p in "${missing[@]}"; do
			case " $ML_PKGS_NO_START " in *" $p "*) guard=1 ;; esac
		done
	fi
	if [ -n "$guard" ]; then
		printf '#!/bin/sh\n# minilaunch: no daemon starts while installing\nexit 101\n' \
			>/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || rc=$?
	[ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
	return $rc
}

# kubectl: the one on PATH, else Debian's kubernetes-client (which conflicts
# with a separately packaged kubectl, so only when none is there).
ml_install_kubectl() {
	command -v kubectl >/dev/null 2>&1 && return 0
	ml_install kubernetes-client
}

ml_deps_build() { ml_install $ML_PKGS_BUILD; }
ml_deps_test() {
	ml_deps_build
	ml_install $ML_PKGS_TEST
	ml_install_kubectl
}

ml_deps_vm() { ml_install $ML_PKGS_VM; }

# No systemd here: start libvirt's daemons by hand when they are not running.
ml_libvirt_up() {
	pgrep -x virtlogd >/dev/null || virtlogd -d
	pgrep -x libvirtd >/dev/null || libvirtd -d
	local i
	for i in $(seq 1 50); do
		[ -S /run/libvirt/libvirt-sock ] && return 0
		sleep 0.2
	done
	ml_die "libvirtd did not come up"
}

# ml_build DIR [CONFIGURE ARGS...]: configure (once) and make in DIR.
ml_build() {
	local dir=$1
	shift
	if [ ! -x "$ML_ROOT/configure" ] || [ "$ML_ROOT/configure.ac" -nt "$ML_ROOT/configure" ] ||
		[ "$ML_ROOT/Makefile.am" -nt "$ML_ROOT/Makefile.in" ]; then
		ml_say "generating the build system"
		(cd "$ML_ROOT" && ./autogen.sh) >&2
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot "$ML_ROOT/configure" ]; then
		ml_say "configuring in $dir"
		(cd "$dir" && "$ML_ROOT/configure" "$@") >&2
	fi
	ml_say "building in $dir"
	make -C "$dir" -j"$(nproc)" >&2
}
