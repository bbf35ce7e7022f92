#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages glassbox needs, and only those that are missing.
#
# This is the one place where the project's dependencies are listed (DESIGN.md section 8).
# Usage: tools/install-deps.sh [--check]   (--check only reports what is missing, exit 1 if any)
set -euo pipefail

# One line per purpose; the notes in shared BUILD-NOTES.md explain each choice.
PACKAGES=(
  # build toolchain and tests
  build-essential cmake pkg-config git libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  # fuzzing the file parsers (libFuzzer ships with clang's runtime)
  clang libclang-rt-14-dev
  # viewer: Dear ImGui (with GLFW + OpenGL3 backends), a virtual display for headless runs, PNG writing
  libimgui-dev libglfw3-dev libgl-dev libgl1-mesa-dri xvfb xauth libstb-dev fonts-dejavu-core
  # graph layout
  libgraphviz-dev graphviz
  # serialization and model conversion
  libprotobuf-dev protobuf-compiler libflatbuffers-dev flatbuffers-compiler libonnx-dev libonnx-testdata
  # reference BLAS and real distributed runs
  libopenblas-dev libopenmpi-dev openmpi-bin
  # Python bindings, tests and notebooks (always /usr/bin/python3)
  python3 python3-dev python3-pybind11 pybind11-dev python3-numpy python3-matplotlib python3-pytest
  jupyter-nbconvert jupyter-client python3-nbconvert python3-nbclient python3-ipykernel
  # oracles and data: PyTorch, the UCI digits dataset shipped with scikit-learn
  python3-torch python3-sklearn zlib1g-dev
  # API reference
  doxygen
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed."
  exit 0
fi
echo "install-deps: missing ${#missing[@]} of ${#PACKAGES[@]} packages: ${missing[*]}"
if [ "${1:-}" = "--check" ]; then exit 1; fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: cannot install: not root and no sudo. Ask an administrator to run:" >&2
  echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: first setup takes about 5 minutes and 2 GB of disk (PyTorch is most of it)."
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done."
