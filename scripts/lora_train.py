#!/usr/bin/env python3
"""LoRA trainer driven by `rslm train-lora` (run it through rslm, not by hand).

Reads the chat-format training set rslm wrote (one JSON object a line with `messages`), trains
a LoRA adapter on the assistant turns only, from the base model (never on top of an earlier
adapter), and writes the PEFT folder plus a result JSON (loss curve, time, peak memory).
Progress goes to stderr; nothing is printed on stdout except by --check.

The base model is a Hugging Face folder or a GGUF file (transformers dequantizes it).
"""

import argparse
import importlib.metadata
import importlib.util
import json
import os
import random
import resource
import sys
import time

REQUIRED = ("torch", "transformers", "peft", "gguf", "safetensors", "numpy")


def log(message):
    print(message, file=sys.stderr, flush=True)


def check():
    """Prints which required packages are missing and the versions of the others."""
    missing, versions = [], {}
    for name in REQUIRED:
        if importlib.util.find_spec(name) is None:
            missing.append(name)
        else:
            try:
                versions[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                versions[name] = "unknown"
    versions["python"] = sys.version.split()[0]
    print(json.dumps({"missing": missing, "versions": versions}))


def load_base(path, dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if os.path.isfile(path):
        folder, name = os.path.split(os.path.abspath(path))
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=dtype)
    else:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    return tokenizer, model


def encode(tokenizer, messages, max_length):
    """Token ids and labels of one example; only the assistant's answer is learned."""
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise SystemExit("error: the chat template does not extend the prompt with the answer")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(full[len(prompt):], add_special_tokens=False)["input_ids"]
    if len(prompt_ids) >= max_length:
        return None
    ids = (prompt_ids + answer_ids)[:max_length]
    labels = ([-100] * len(prompt_ids) + answer_ids)[:max_length]
    return ids, labels


def step_loss(torch, model, example, device, precision):
    """Summed cross-entropy over the answer tokens of one example, and their count.

    Logits are computed only where an answer token is predicted: the output layer is a fifth of
    SmolLM2's compute, and the prompt's logits are never needed.
    """
    ids, labels = example
    n = sum(1 for y in labels if y != -100)
    inputs = torch.tensor([ids], device=device)
    with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=precision == "bf16"):
        logits = model(input_ids=inputs, logits_to_keep=n + 1).logits[0, :-1].float()
    target = inputs[0, -n:]
    return torch.nn.functional.cross_entropy(logits, target, reduction="sum"), n


def choose_precision(torch, device, wanted):
    """bf16 autocast where the hardware computes bf16 natively, float32 elsewhere."""
    if wanted != "auto":
        return wanted
    if device == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    try:
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
    except (AttributeError, RuntimeError):
        return "fp32"


def train(args):
    import torch
    from peft import LoraConfig, get_peft_model

    started = time.time()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = choose_precision(torch, device, args.precision)
    log(f"train: loading {args.base_model} on {device} ({torch.get_num_threads()} threads, {precision})")
    # Weights stay float32; bf16 is only the compute type under autocast.
    tokenizer, model = load_base(args.base_model, torch.float32)
    loaded = time.time()

    with open(args.data, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    examples, dropped = [], 0
    for record in records:
        encoded = encode(tokenizer, record["messages"], args.max_length)
        if encoded is None or all(y == -100 for y in encoded[1]):
            dropped += 1
        else:
            examples.append(encoded)
    if not examples:
        raise SystemExit(f"error: no example fits in --max-length {args.max_length}")
    tokens = sum(sum(1 for y in labels if y != -100) for _, labels in examples)
    log(f"train: {len(examples)} examples, {tokens} answer tokens, {dropped} longer than --max-length dropped")

    config = LoraConfig(
        r=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=args.dropout,
        target_modules=args.target_modules.split(","),
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    log(f"train: {trainable} trainable parameters (rank {args.rank}, alpha {args.alpha})")

    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    # One example per forward pass (no padding to pay for on a CPU); --batch-size examples per
    # optimizer step, their losses weighted by answer tokens.
    steps_per_epoch = (len(examples) + args.batch_size - 1) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    warmup = max(1, total_steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    rng = random.Random(args.seed)
    curve, epochs, step = [], [], 0
    loop_started = time.time()
    model.train()
    for epoch in range(1, args.epochs + 1):
        order = list(range(len(examples)))
        rng.shuffle(order)
        epoch_loss, epoch_tokens = 0.0, 0
        for first in range(0, len(order), args.batch_size):
            batch = [examples[i] for i in order[first:first + args.batch_size]]
            batch_tokens = sum(sum(1 for y in labels if y != -100) for _, labels in batch)
            batch_loss = 0.0
            for example in batch:
                loss, _ = step_loss(torch, model, example, device, precision)
                (loss / batch_tokens).backward()
                batch_loss += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            value = batch_loss / batch_tokens
            epoch_loss += batch_loss
            epoch_tokens += batch_tokens
            curve.append({"step": step, "epoch": epoch, "loss": round(value, 5)})
            log(f"train: epoch {epoch}/{args.epochs} step {step}/{total_steps} loss {value:.4f} ({time.time() - started:.0f} s)")
        epochs.append(round(epoch_loss / epoch_tokens, 5))
        log(f"train: epoch {epoch} mean loss {epochs[-1]:.4f}")

    loop_seconds = time.time() - loop_started
    model.save_pretrained(args.out)
    base = model.base_model.model.config
    result = {
        "epoch_losses": epochs,
        "loss_curve": curve,
        "examples": len(examples),
        "dropped_too_long": dropped,
        "answer_tokens": tokens,
        "trainable_parameters": trainable,
        "steps": step,
        "train_seconds": round(time.time() - started, 2),
        "load_seconds": round(loaded - started, 2),
        "optimizer_seconds": round(loop_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device": device,
        "precision": precision,
        "threads": torch.get_num_threads(),
        "architecture": getattr(base, "model_type", None),
        "versions": {name: importlib.metadata.version(name) for name in ("torch", "transformers", "peft")},
    }
    with open(args.result, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report missing packages as JSON and exit")
    parser.add_argument("--base-model")
    parser.add_argument("--data")
    parser.add_argument("--out", help="folder for the PEFT adapter")
    parser.add_argument("--result", help="JSON file for the loss curve and measurements")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32)
    parser.add_argument("--dropout", type=float, default=0.05)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--target-modules", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    args = parser.parse_args()
    if args.check:
        check()
        return
    for name in ("base_model", "data", "out", "result"):
        if getattr(args, name) is None:
            parser.error(f"--{name.replace('_', '-')} is required")
    train(args)


if __name__ == "__main__":
    main()
