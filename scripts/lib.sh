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
ML_PKGS_VM="libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base
	busybox-static"
# what tests/e2e runs on the host beside the VM (scripts/install-packages)
ML_PKGS_E2E="@e2e"

ml_say() { printf '==> %s\n' "$*" >&2; }
ml_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ml_install PKG...: apt-get install the packages that are not installed yet
# (scripts/install-packages: as root, daemons such as unbound not started).
ml_install() { bash "$ML_ROOT/scripts/install-packages" "$@"; }

# kubectl: the one on PATH, else Debian's kubernetes-client (which conflicts
# with a separately packaged kubectl, so only when none is there).
ml_install_kubectl() {
	command -v kubectl >/dev/null 2>&1 && return 0
	ml_install kubernetes-client
}

ml_deps_build() { ml_install $ML_PKGS_BUILD; }
ml_deps_test() {
	ml_deps_build
	ml_install $ML_PKGS_TEST $ML_PKGS_E2E
	ml_install_kubectl
}

ml_deps_vm() { ml_install $ML_PKGS_VM; }

# No systemd here: start libvirt's daemons by hand when they are not running.
ml_libvirt_up() {
	pgrep -x virtlogd >/dev/null || virtlogd -d
	# a socket left by a libvirtd that is gone (a reboot) would pass the
	# wait below before the new daemon listens
	pgrep -x libvirtd >/dev/null || { rm -f /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro; libvirtd -d; }
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
