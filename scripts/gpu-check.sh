#!/usr/bin/env bash
# The prepared GPU check (docs/gpu-check.md says how a session that is lent a GPU machine uses it).
#   scripts/gpu-check.sh prepare             here: assemble .gpu-check/ (git-ignored) and print what would travel
#   scripts/gpu-check.sh run [--out DIR] [--only PHASE,...] [--deadline S]
#                                            on the GPU machine: unpack, set up Vulkan, run every phase (or those),
#                                            write DIR/gpu-check-report.json (DIR: $OUT, else ./gpu-check-out)
#   scripts/gpu-check.sh rehearse [--out DIR] here: the run step on SwiftShader (Debian's chromium), from the
#                                            same bundle, with what needs a real GPU substituted or reported absent
# The run step needs no Node, npm or network: Node, ONNX Runtime and the Vulkan loader are in .gpu-check/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$repo/.gpu-check"
command="${1:-}"
shift || true
out="${OUT:-$repo/gpu-check-out}"
deadline=480
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --only) only=(--only "$2"); shift 2 ;;
    --deadline) deadline="$2"; shift 2 ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
  esac
done

unxz_to() { # FILE.xz TARGET: xz when installed, else Python's lzma (the GPU machine has Python)
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

has_vulkan_loader() { ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; }

has_icd_manifest() {
  for d in "${XDG_CONFIG_HOME:-${HOME:-/root}/.config}" /etc/xdg /usr/local/etc /etc "${XDG_DATA_HOME:-${HOME:-/root}/.local/share}" /usr/local/share /usr/share; do
    ls "$d"/vulkan/icd.d/*.json >/dev/null 2>&1 && return 0
  done
  return 1
}

unpack() { # into $work: node, app/ with its .xz files expanded
  unxz_to "$bundle/node.xz" "$work/node"
  chmod +x "$work/node"
  cp -r "$bundle/app" "$work/app"
  find "$work/app" -name '*.xz' | while read -r f; do unxz_to "$f" "${f%.xz}" && rm "$f"; done
  mkdir -p "$work/runtime" && chmod 700 "$work/runtime"
  export XDG_RUNTIME_DIR="$work/runtime"
}

case "$command" in
  prepare)
    cd "$repo"
    exec node --import tsx scripts/gpuCheck/prepare.ts
    ;;
  run|rehearse)
    [ -f "$bundle/manifest.json" ] || { echo "gpu-check: no $bundle/manifest.json — run 'scripts/gpu-check.sh prepare' first (and name .gpu-check in the device tool's carry)" >&2; exit 2; }
    started=$(date +%s)
    work="$(mktemp -d "${TMPDIR:-/tmp}/es-gpu-check.XXXXXX")"
    mkdir -p "$out"
    unpack
    rehearse=()
    if [ "$command" = rehearse ]; then
      # SwiftShader as the only Vulkan driver; Chromium's own loader when the system has none
      icd=/usr/lib/chromium/vk_swiftshader_icd.json
      [ -f "$icd" ] || { echo "gpu-check rehearse: $icd is missing (apt-get install chromium)" >&2; exit 2; }
      export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
      if ! has_vulkan_loader; then mkdir -p "$work/vulkan" && ln -sf /usr/lib/chromium/libvulkan.so.1 "$work/vulkan/libvulkan.so.1" && export LD_LIBRARY_PATH="$work/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
      rehearse=(--rehearse)
    else
      if ! has_vulkan_loader; then
        if [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null; then
          # the device README's recipe (seen working there): unpack the loader packages into /, then ldconfig
          for f in "$bundle"/debs/*.deb; do dpkg -x "$f" /; done
          ldconfig
        else
          for f in "$bundle"/debs/*.deb; do dpkg -x "$f" "$work/vulkan"; done
          export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        fi
      fi
      nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
      if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! has_icd_manifest && [ -f "$nvidia_icd" ]; then
        export VK_DRIVER_FILES="$nvidia_icd" VK_ICD_FILENAMES="$nvidia_icd"
        egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
        [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
      fi
    fi
    left=$(( deadline - ($(date +%s) - started) ))
    echo "gpu-check: unpacked into $work in $(( $(date +%s) - started )) s; running with $left s left; report in $out"
    status=0
    "$work/node" "$work/app/gpu-check.js" --bundle "$bundle" --work "$work" --out "$out" --deadline "$left" "${rehearse[@]}" "${only[@]}" || status=$?
    rm -rf "$work"
    exit $status
    ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 2
    ;;
esac
