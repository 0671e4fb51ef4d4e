# Takes the plugin out of every kubelet `setup` wired it into (K3s, kubeadm), so that no
# kubelet is left pointing at a binary this removal deletes: K3s crash-loops on a dangling
# provider. `setup --remove` touches only what setup added and keeps every other provider.
# If it cannot, the removal stops here, with the reason, and nothing is removed. Shell
# built-ins only: an rpm may be erased from a root with nothing but a shell.
plugin=/usr/libexec/kubelet-image-credential-provider-plugins/acr-credential-provider
if [ -x "$plugin" ]; then
  for target in k3s kubeadm; do
    status=0
    out=$("$plugin" setup "$target" --remove 2>&1) || status=$?
    next=
    last=
    while IFS= read -r line; do
      case "$line" in "next: "*) next=${line#next: } ;; esac
      last=$line
    done <<END_OF_OUTPUT
$out
END_OF_OUTPUT
    if [ "$status" -ne 0 ]; then
      echo "acr-credential-provider: cannot take the plugin out of the $target kubelet's" \
        "config, so the package stays: $last" >&2
      exit 1
    fi
    case "$next" in
      "nothing of this program's was found to remove") ;;
      *) echo "acr-credential-provider: taken out of the $target kubelet's credential provider config; $next" ;;
    esac
  done
fi
# setup enabled the refresh timer; stop it before its program goes (no systemd: nothing to do).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now acr-credential-provider-refresh.timer >/dev/null 2>&1 || true
fi
