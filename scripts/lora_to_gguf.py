#!/usr/bin/env python3
"""Converts a PEFT LoRA adapter to the GGUF LoRA file llama.cpp's server loads (`--lora FILE`).

Driven by `rslm train-lora`. Needs numpy, safetensors and gguf only (no torch).

llama.cpp computes W x + scale * (alpha / r) * B (A x) with A stored as `blk.N.<tensor>.weight.lora_a`
and B as `...lora_b`, in PyTorch's (rows, columns) order. Its llama conversion permutes the rows
of the query and key projections (rotary pairs interleaved); a LoRA's B holds those rows, so it
gets the same permutation here, or the adapter would steer the wrong dimensions.
"""

import argparse
import json
import os
import re
import sys

# Hugging Face module name -> llama.cpp tensor name, for llama-like decoders.
TENSORS = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# Architectures whose GGUF conversion permutes q/k rows.
PERMUTED = {"llama", "mistral"}
KEY = re.compile(r"layers\.(\d+)\.(self_attn\.[a-z_]+|mlp\.[a-z_]+)\.lora_([AB])\.weight$")


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def base_config(path):
    """Architecture and head counts of the base model (a GGUF file or a Hugging Face folder)."""
    if os.path.isfile(path):
        from gguf import GGUFReader

        reader = GGUFReader(path)

        def field(name):
            f = reader.get_field(name)
            if f is None:
                fail(f"{path} has no {name}")
            return f.contents()

        arch = field("general.architecture")
        return arch, int(field(f"{arch}.attention.head_count")), int(field(f"{arch}.attention.head_count_kv"))
    with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    heads = int(config["num_attention_heads"])
    return config["model_type"], heads, int(config.get("num_key_value_heads") or heads)


def permute_rows(b, heads):
    """The row order llama.cpp's llama conversion gives q/k weights, applied to a LoRA's B."""
    rows, rank = b.shape
    return b.reshape(heads, 2, rows // heads // 2, rank).swapaxes(1, 2).reshape(rows, rank)


def convert(adapter, base, out):
    import numpy as np
    from gguf import GGUFWriter
    from safetensors.numpy import load_file

    with open(os.path.join(adapter, "adapter_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    if config.get("peft_type") != "LORA":
        fail(f"{adapter} is not a LoRA adapter (peft_type {config.get('peft_type')})")
    if config.get("use_rslora") or config.get("use_dora") or config.get("rank_pattern") or config.get("alpha_pattern"):
        fail("rsLoRA, DoRA and per-module ranks are not supported by this converter")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    arch, heads, kv_heads = base_config(base)

    weights = load_file(os.path.join(adapter, "adapter_model.safetensors"))
    pairs = {}
    for key, value in weights.items():
        m = KEY.search(key)
        if not m or m.group(2) not in TENSORS:
            fail(f"unsupported adapter tensor {key}")
        layer, module, ab = int(m.group(1)), m.group(2), m.group(3)
        pairs.setdefault((layer, module), {})[ab] = value.astype(np.float32)

    writer = GGUFWriter(out, arch)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    writer.add_string("general.name", os.path.basename(os.path.normpath(adapter)))
    count = 0
    for (layer, module), ab in sorted(pairs.items()):
        if set(ab) != {"A", "B"}:
            fail(f"layer {layer} {module} lacks lora_A or lora_B")
        a, b = ab["A"], ab["B"]
        if a.shape[0] != rank or b.shape[1] != rank:
            fail(f"layer {layer} {module}: shapes {a.shape} and {b.shape} do not match rank {rank}")
        if arch in PERMUTED and module == "self_attn.q_proj":
            b = permute_rows(b, heads)
        elif arch in PERMUTED and module == "self_attn.k_proj":
            b = permute_rows(b, kv_heads)
        name = f"blk.{layer}.{TENSORS[module]}.weight"
        writer.add_tensor(f"{name}.lora_a", np.ascontiguousarray(a))
        writer.add_tensor(f"{name}.lora_b", np.ascontiguousarray(b))
        count += 2
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(json.dumps({"tensors": count, "rank": rank, "alpha": alpha, "architecture": arch}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", required=True, help="PEFT adapter folder")
    parser.add_argument("--base-model", required=True, help="GGUF file or Hugging Face folder of the base model")
    parser.add_argument("--out", required=True, help="GGUF file to write")
    args = parser.parse_args()
    convert(args.adapter, args.base_model, args.out)


if __name__ == "__main__":
    main()
