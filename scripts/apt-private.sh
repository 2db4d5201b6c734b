# Sourced (not run) by scripts/libtorch2-headers.sh and scripts/device-prep.sh.
# apt_private_init "SUITE..." [TYPES]: sets up a private apt state (sources list, lists, cache,
# empty dpkg status) in a temporary directory for Debian suites on this machine's own mirrors
# (a suite named *-security on its security mirror), and fills the array APT_OPTS for
# apt-get/apt-cache.  This machine's apt state is never touched.
# TYPES: "deb" (default), "deb-src" or "deb deb-src".  The directory is removed on exit.

apt_private_mirror() {  # [security]: prints the Debian (or security) mirror this machine's apt uses
  local f uri="" sec=0
  [[ "${1:-}" == security ]] && sec=1
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    uri=$(awk -v sec="$sec" '/^URIs:/ {for (i = 2; i <= NF; i++) if (($i ~ /security/) == sec) {print $i; exit}}' "$f")
    [[ -n "$uri" ]] && break
  done
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri=$(awk -v sec="$sec" '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /:\/\// && ($i ~ /security/) == sec) {print $i; exit}}' \
      /etc/apt/sources.list | head -n1)
  fi
  [[ -n "$uri" ]] || { echo "apt-private: no Debian mirror found in /etc/apt" >&2; return 1; }
  echo "$uri"
}

apt_private_init() {
  local suites=$1 types=${2:-deb} uri suite keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f "$keyring" ]] || { echo "apt-private: $keyring missing (debian-archive-keyring)" >&2; return 1; }
  APT_TMP=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$APT_TMP'" EXIT
  mkdir -p "$APT_TMP/lists/partial" "$APT_TMP/cache/archives/partial" "$APT_TMP/parts" "$APT_TMP/prefs"
  : >"$APT_TMP/private.sources"
  for suite in $suites; do
    if [[ "$suite" == *-security ]]; then uri=$(apt_private_mirror security); else uri=$(apt_private_mirror); fi
    printf 'Types: %s\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
      "$types" "$uri" "$suite" "$keyring" >>"$APT_TMP/private.sources"
  done
  : >"$APT_TMP/status"
  APT_OPTS=(
    -o "Dir::Etc::sourcelist=$APT_TMP/private.sources" -o "Dir::Etc::sourceparts=$APT_TMP/parts"
    -o "Dir::Etc::preferencesparts=$APT_TMP/prefs" -o "Dir::Etc::preferences=$APT_TMP/prefs/none"
    -o "Dir::State::Lists=$APT_TMP/lists" -o "Dir::Cache=$APT_TMP/cache" -o "Dir::State::status=$APT_TMP/status"
    -o "APT::Architecture=amd64" -o "Acquire::Languages=none" -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1"
  )
  nice -n 19 apt-get "${APT_OPTS[@]}" -qq update
}

apt_private_version() {  # apt_private_version PKG [src]: the candidate version in the private state
  if [[ "${2:-}" == src ]]; then
    apt-cache "${APT_OPTS[@]}" showsrc --only-source "$1" | awk '/^Version:/ {print $2}' | sort -V | tail -n1
  else
    apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" | awk '/^Version:/ {print $2; exit}'
  fi
}
