#!/usr/bin/env python3
"""LoRA trainer driven by `rslm train-lora` (run it through rslm, or by hand on a GPU node).

Reads the chat-format training set rslm wrote (one JSON object a line with `messages`), trains
a LoRA adapter on the assistant turns only (prompt tokens masked, no packing), from the base
model unless --init-adapter names an earlier one, with Hugging Face's Trainer (seeded, a
checkpoint per epoch, a rerun resumes from the last one), and writes the PEFT folder plus a
result JSON (loss curve, time, peak memory). The same file runs on a CPU and on GPUs:
`accelerate launch scripts/lora_train.py ...` spreads it over several (docs/learning.md).
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

REQUIRED = ("torch", "transformers", "peft", "gguf", "safetensors", "numpy", "accelerate")


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
        # transformers dequantizes GGUF weights as it loads them (they are plain float tensors
        # now) but keeps the GGUF marker, which its Trainer refuses to train: drop the marker.
        if getattr(model, "hf_quantizer", None) is not None:
            model.hf_quantizer.remove_quantization_config(model)
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


def choose_precision(torch, device, wanted):
    """bf16 where the hardware computes bf16 natively, float32 elsewhere."""
    if wanted != "auto":
        return wanted
    if device == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    try:
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
    except (AttributeError, RuntimeError):
        return "fp32"


class Collator:
    """Pads a micro-batch on the right; padding is never learned (label -100)."""

    def __init__(self, torch, pad_id):
        self.torch, self.pad_id = torch, pad_id

    def __call__(self, batch):
        width = max(len(b["input_ids"]) for b in batch)
        ids, labels, mask = [], [], []
        for b in batch:
            gap = width - len(b["input_ids"])
            ids.append(b["input_ids"] + [self.pad_id] * gap)
            labels.append(b["labels"] + [-100] * gap)
            mask.append([1] * len(b["input_ids"]) + [0] * gap)
        t = self.torch.tensor
        return {"input_ids": t(ids), "labels": t(labels), "attention_mask": t(mask)}


def train(args):
    import torch
    import transformers
    from peft import LoraConfig, PeftModel, get_peft_model

    started = time.time()
    if args.threads:
        torch.set_num_threads(args.threads)
    transformers.set_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    precision = choose_precision(torch, device, args.precision)
    log(f"train: loading {args.base_model} on {device} ({torch.get_num_threads()} threads, {precision})")
    # Weights stay float32; bf16 is the Trainer's mixed-precision compute type.
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
            examples.append({"input_ids": encoded[0], "labels": encoded[1]})
    if not examples:
        raise SystemExit(f"error: no example fits in --max-length {args.max_length}")
    tokens = sum(sum(1 for y in e["labels"] if y != -100) for e in examples)
    log(f"train: {len(examples)} examples, {tokens} answer tokens, {dropped} longer than --max-length dropped")

    if args.init_adapter:
        # --continue-adapter: go on training an earlier adapter instead of a fresh one.
        model = PeftModel.from_pretrained(model, args.init_adapter, is_trainable=True)
        log(f"train: continuing from the adapter in {args.init_adapter}")
    else:
        model = get_peft_model(model, LoraConfig(
            r=args.rank,
            lora_alpha=args.alpha,
            lora_dropout=args.dropout,
            target_modules=args.target_modules.split(","),
            bias="none",
            task_type="CAUSAL_LM",
        ))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log(f"train: {trainable} trainable parameters (rank {args.rank}, alpha {args.alpha})")

    checkpoints = args.checkpoints or (args.out.rstrip("/") + ".checkpoints")
    # One example per forward pass by default (no padding to pay for on a CPU) and --batch-size
    # examples per optimizer step; a GPU takes larger micro-batches with --micro-batch-size.
    micro = max(1, min(args.micro_batch_size, args.batch_size))
    config = transformers.TrainingArguments(
        output_dir=checkpoints,
        num_train_epochs=args.epochs,
        per_device_train_batch_size=micro,
        gradient_accumulation_steps=max(1, args.batch_size // micro),
        learning_rate=args.lr,
        lr_scheduler_type="linear",
        warmup_steps=0.1,  # a fraction: the first tenth of the steps
        weight_decay=0.0,
        max_grad_norm=1.0,
        seed=args.seed,
        data_seed=args.seed,
        bf16=precision == "bf16",
        use_cpu=device == "cpu",
        logging_steps=1,
        save_strategy="epoch",
        save_total_limit=2,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
    )

    class Progress(transformers.TrainerCallback):
        def on_log(self, _args, state, _control, logs=None, **_):
            if logs and "loss" in logs:
                log(f"train: epoch {state.epoch:.2f} step {state.global_step}/{state.max_steps} "
                    f"loss {logs['loss']:.4f} ({time.time() - started:.0f} s)")

    trainer = transformers.Trainer(
        model=model,
        args=config,
        train_dataset=examples,
        data_collator=Collator(torch, tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id),
        callbacks=[Progress()],
    )
    resume = transformers.trainer_utils.get_last_checkpoint(checkpoints) if os.path.isdir(checkpoints) else None
    if resume:
        log(f"train: resuming from {resume}")
    loop_started = time.time()
    trainer.train(resume_from_checkpoint=resume)
    loop_seconds = time.time() - loop_started
    if not trainer.is_world_process_zero():
        return
    trainer.model.save_pretrained(args.out)
    curve = [{"step": e["step"], "epoch": round(e.get("epoch", 0.0), 4), "loss": round(e["loss"], 5)}
             for e in trainer.state.log_history if "loss" in e]
    epochs = []
    for epoch in range(1, args.epochs + 1):
        values = [c["loss"] for c in curve if epoch - 1 < c["epoch"] <= epoch + 1e-9]
        if values:
            epochs.append(round(sum(values) / len(values), 5))
    base = trainer.model.base_model.model.config
    result = {
        "epoch_losses": epochs,
        "loss_curve": curve,
        "examples": len(examples),
        "dropped_too_long": dropped,
        "answer_tokens": tokens,
        "trainable_parameters": trainable,
        "steps": trainer.state.global_step,
        "train_seconds": round(time.time() - started, 2),
        "load_seconds": round(loaded - started, 2),
        "optimizer_seconds": round(loop_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device": device,
        "precision": precision,
        "threads": torch.get_num_threads(),
        "architecture": getattr(base, "model_type", None),
        "trainer": "transformers.Trainer",
        "resumed_from": resume,
        "versions": {name: importlib.metadata.version(name) for name in ("torch", "transformers", "peft", "accelerate")},
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
    parser.add_argument("--micro-batch-size", type=int, default=1, help="examples per forward pass")
    parser.add_argument("--init-adapter", help="a PEFT folder to continue training instead of a new adapter")
    parser.add_argument("--checkpoints", help="checkpoint folder (default OUT.checkpoints); a rerun resumes from it")
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
