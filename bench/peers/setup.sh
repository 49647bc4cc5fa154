#!/usr/bin/env bash
# Creates .cache/peers-venv with PyTorch, torchvision (CPU) and onnx from pip's configured index, for the
# benchmark's PyTorch peer and its ONNX Runtime peer (torchvision's model exported to ONNX by PyTorch). Idempotent. Not part of netcensus' install: the peer is optional.
# Where the index has only a CUDA build of torchvision next to a CPU torch (here: 0.28.0+cu130 with
# 2.13.0+cpu), `import torchvision` fails with "operator torchvision::nms does not exist": its C extension
# does not load. assets/peers/torch_bench.py then declares placeholder schemas for the detection ops the
# import registers (as scripts/fixtures/make_onnx_fixtures.py does); the classification models use none of
# them. The check below imports torchvision that way and runs a ResNet-18 forward pass.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.cache/peers-venv"
check() { "$venv/bin/python" "$root/assets/peers/torch_bench.py" --check 2>/dev/null; }
if check >/dev/null && "$venv/bin/python" -c "import onnx" 2>/dev/null; then
  echo "peers venv ready: $venv" >&2
  exit 0
fi
python3 -m venv "$venv" || { echo "cannot create a virtual environment (python3 -m venv)" >&2; exit 1; }
pip=("$venv/bin/pip" install --disable-pip-version-check -q --retries 0 --timeout 10)
# CPU torch first; then the torchvision release built for it (torch 2.N pairs with torchvision 0.(N+15)).
"${pip[@]}" torch || { echo "pip could not install torch; the PyTorch peer will be skipped" >&2; exit 1; }
minor=$("$venv/bin/python" -c "import torch; print(torch.__version__.split('.')[1])")
"${pip[@]}" "torchvision==0.$((minor + 15)).*" \
  || { echo "pip could not install torchvision 0.$((minor + 15)) for this torch; the PyTorch peer will be skipped" >&2; exit 1; }
"${pip[@]}" numpy || true
# onnx: torch.onnx.export writes the ONNX Runtime peer's models with it.
"${pip[@]}" onnx || echo "pip could not install onnx; the ONNX Runtime peer will be skipped" >&2
echo "peers venv ready: $(check)" >&2
