#!/usr/bin/env bash
# The GPU checks of the training issue, as one device call (bench/gpu/prepare.sh first, here):
#   run(command="bash bench/gpu/check.sh", carry=[".gpu"], timeout_s=540)
# 1. the machine: GPU, driver, torch and its bf16 support;
# 2. bench.training_packing on CUDA: useful tokens/s with packing vs padded batches on 2,000 SNIPS
#    queries (the issue's goal: >= 2x), the tiny model in bf16, one round;
# 3. the same with full fine-tuning (every weight trained: more work per token than LoRA).
# Every report goes to $OUT (packing_lora.json, packing_full.json, check.log).
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-/tmp/gpu_check}"
examples="${GPU_CHECK_EXAMPLES:-2000}"  # fewer for a dry run of this script on a CPU
mkdir -p "$out"
# GPU_CHECK_SKIP_INSTALL=1: the Python on PATH already has the stack (a dry run here, with .venv/bin first).
if [ -z "${GPU_CHECK_SKIP_INSTALL:-}" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/wheels/*.whl || exit 1
fi
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "no nvidia-smi: running on the CPU"
    python3 -c "import torch, transformers, trl; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'bf16', torch.cuda.is_bf16_supported(), 'transformers', transformers.__version__, 'trl', trl.__version__)"
    for method in lora full; do
        timeout 240 python3 -m bench.training_packing --snips-dir .gpu/snips --examples "$examples" --repeats 1 \
            --method "$method" --json "$out/packing_$method.json"
    done
} 2>&1 | tee "$out/check.log"
