#!/usr/bin/env bash
# Prepares the GPU checks (bench/gpu/check.sh) for the workplace's device machine, which has torch but
# not this project's training stack and cannot reach a package index. Run here, in the repository root:
#   bash bench/gpu/prepare.sh [SNIPS_DIR]
# It downloads the wheels the checks need, at the versions constraints.txt pins, for the device's
# Python 3.12 into .gpu/wheels/, and copies the SNIPS queries into .gpu/snips/ (.gpu/ is git-excluded
# and travels with `carry: [".gpu"]`; about 24 MB in all).
set -euo pipefail
cd "$(dirname "$0")/../.."
snips="${1:-/work/shared/datasets/snips}"
grep -qxF "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu/wheels .gpu/snips
cp "$snips/train.jsonl" .gpu/snips/

# The device machine has torch, accelerate, peft, safetensors, pandas, pyarrow, xxhash, huggingface-hub,
# PyYAML and tabulate; the rest of what finetune_platform.training needs:
packages=(transformers tokenizers trl datasets dill multiprocess pydantic pydantic_core annotated-types
          typing-inspection)
pins=()
for name in "${packages[@]}"; do
    pin=$(grep -iE "^${name}==" constraints.txt) || { echo "constraints.txt does not pin $name" >&2; exit 1; }
    pins+=("$pin")
done
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .gpu/wheels "${pins[@]}"
ls .gpu/wheels
du -sh .gpu
