# iso/base.sh: run inside the debootstrap tree (chroot) by iso/build to turn
# it into the node image's base layer. Everything the guest scripts need at
# boot lives in iso/rootfs/ instead, so that changing them does not rebuild this.
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

# One iptables backend for dockerd, kube-proxy 1.20 and the CNI plugins:
# legacy, because 1.20's kube-proxy predates the nft compatibility work.
update-alternatives --set iptables /usr/sbin/iptables-legacy
update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy

# The login user: key only (set at boot from the config drive), no password,
# passwordless sudo. root cannot log in.
useradd -m -s /bin/bash -g docker -G sudo docker
passwd -l docker >/dev/null
passwd -l root >/dev/null
echo 'docker ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/docker
chmod 0440 /etc/sudoers.d/docker

# Host keys are made on first boot and kept on the data disk, never shared.
rm -f /etc/ssh/ssh_host_*

# Debian's own units that the guest replaces or does not want.
rm -f /etc/systemd/system/multi-user.target.wants/etcd.service
echo minilaunch >/etc/hostname
: >/etc/machine-id

# Slimming: no docs, man pages, locales or caches. dpkg keeps them out later.
cat >/etc/dpkg/dpkg.cfg.d/01-minilaunch-nodoc <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
rm -rf /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/lintian \
	/usr/share/locale/* /usr/share/i18n /usr/share/zoneinfo/right \
	/usr/share/bash-completion /usr/share/zsh /var/cache/man
# No initramfs is used from inside the image: iso/initrd replaces it, and
# iso/build deletes the one the kernel package generated.
apt-get clean
