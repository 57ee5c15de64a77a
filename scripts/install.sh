#!/usr/bin/env bash
# install.sh install PREFIX BIN | uninstall PREFIX — installs Tern under
# PREFIX (bin/tern, the desktop entry, the icon, the AppStream metainfo),
# or removes what it installed. Names and version come from FyneApp.toml.
set -euo pipefail

cd "$(dirname "$0")/.."
action=${1:-}
prefix=${2:-}
[ -n "$prefix" ] || { echo "usage: $0 install PREFIX BIN | uninstall PREFIX" >&2; exit 2; }

# toml KEY: the first value of KEY in FyneApp.toml.
toml() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\(.*\)\"/\1/p" FyneApp.toml | head -n1; }
id=$(toml ID)
name=$(toml Name)
version=$(toml Version)
website=$(toml Website)
[ -n "$id" ] && [ -n "$name" ] && [ -n "$version" ] || { echo "FyneApp.toml lacks ID, Name or Version" >&2; exit 1; }

share="$prefix/share"
files=(
  "$prefix/bin/tern"
  "$share/applications/$id.desktop"
  "$share/metainfo/$id.metainfo.xml"
  "$share/icons/hicolor/scalable/apps/$id.svg"
)
sizes=(16 24 32 48 64 128 256 512)
for s in "${sizes[@]}"; do files+=("$share/icons/hicolor/${s}x${s}/apps/$id.png"); done

# refresh updates the desktop's caches when their tools are there; a
# missing tool only means the desktop notices a little later.
refresh() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$share/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$share/icons/hicolor" 2>/dev/null || true
  fi
}

fill() {
  sed -e "s|@ID@|$id|g" -e "s|@NAME@|$name|g" -e "s|@VERSION@|$version|g" \
    -e "s|@WEBSITE@|$website|g" -e "s|@DATE@|$date|g" "$1"
}

case "$action" in
install)
  bin=${3:-}
  [ -f "$bin" ] || { echo "no binary at '$bin' (make install builds it)" >&2; exit 1; }
  date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
  install -Dm755 "$bin" "$prefix/bin/tern"
  install -d "$share/applications" "$share/metainfo" "$share/icons/hicolor/scalable/apps"
  fill packaging/tern.desktop.in >"$share/applications/$id.desktop"
  fill packaging/tern.metainfo.xml.in >"$share/metainfo/$id.metainfo.xml"
  chmod 644 "$share/applications/$id.desktop" "$share/metainfo/$id.metainfo.xml"
  install -Dm644 assets/icons/tern.svg "$share/icons/hicolor/scalable/apps/$id.svg"
  # The PNG sizes, rendered from the SVG by Tern's own icon renderer.
  for s in "${sizes[@]}"; do
    install -d "$share/icons/hicolor/${s}x${s}/apps"
  done
  go run ./scripts/iconpng assets/icons/tern.svg "$share/icons/hicolor" "$id" "${sizes[@]}"
  refresh
  echo "installed Tern $version under $prefix"
  ;;
uninstall)
  rm -f "${files[@]}"
  refresh
  echo "removed Tern from $prefix"
  ;;
*)
  echo "usage: $0 install PREFIX BIN | uninstall PREFIX" >&2
  exit 2
  ;;
esac
