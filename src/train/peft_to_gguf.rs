//! Converts a PEFT LoRA adapter (`adapter_config.json` + `adapter_model.safetensors`) to the
//! GGUF LoRA file llama.cpp's server loads with `--lora FILE`.
//!
//! llama.cpp computes `W x + scale * (alpha / r) * B (A x)` with A stored as
//! `blk.N.<tensor>.weight.lora_a` and B as `...lora_b`, in PyTorch's (rows, columns) order (GGUF
//! lists the dimensions the other way round). Its llama conversion permutes the rows of the query
//! and key projections (rotary pairs interleaved); a LoRA's B holds those rows, so it gets the
//! same permutation here, or the adapter would steer the wrong dimensions.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Serialize;

use super::base_model::BaseModel;
use super::gguf::{Gguf, GgufWriter, Value};
use super::safetensors::{self, Tensor};

/// Hugging Face module name -> llama.cpp tensor name, for llama-like decoders.
const TENSORS: [(&str, &str); 7] = [
    ("self_attn.q_proj", "attn_q"),
    ("self_attn.k_proj", "attn_k"),
    ("self_attn.v_proj", "attn_v"),
    ("self_attn.o_proj", "attn_output"),
    ("mlp.gate_proj", "ffn_gate"),
    ("mlp.up_proj", "ffn_up"),
    ("mlp.down_proj", "ffn_down"),
];

/// Architectures whose GGUF conversion permutes q/k rows.
const PERMUTED: [&str; 2] = ["llama", "mistral"];

/// What the conversion needs to know about the base model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseArchitecture {
    /// llama.cpp's architecture name (`general.architecture`), e.g. `llama`.
    pub architecture: String,
    pub head_count: u64,
    pub head_count_kv: u64,
}

/// What was written, as recorded in the adapter's manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    pub tensors: usize,
    pub rank: u64,
    pub alpha: f64,
    pub architecture: String,
}

/// The architecture and head counts of a base model: from a GGUF file's metadata or from a
/// Hugging Face folder's `config.json`.
pub fn base_architecture(base: &BaseModel) -> anyhow::Result<BaseArchitecture> {
    match base {
        BaseModel::Gguf(path) => gguf_architecture(&Gguf::open(path)?),
        BaseModel::Folder(folder) => {
            let path = folder.join("config.json");
            let config = read_json(&path)?;
            config_architecture(&config).with_context(|| format!("{}", path.display()))
        }
    }
}

fn gguf_architecture(gguf: &Gguf) -> anyhow::Result<BaseArchitecture> {
    let file = gguf.path.display();
    let architecture = gguf
        .get("general.architecture")
        .and_then(Value::as_str)
        .with_context(|| format!("{file} has no general.architecture"))?
        .to_string();
    let count = |key: String| -> anyhow::Result<Option<u64>> {
        match gguf.get(&key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|&n| n > 0)
                .map(Some)
                .with_context(|| format!("{file}: {key} is {v:?}, not one positive count")),
        }
    };
    let head_count = count(format!("{architecture}.attention.head_count"))?
        .with_context(|| format!("{file} has no {architecture}.attention.head_count"))?;
    // llama.cpp reads a missing kv-head count as the head count (no grouped-query attention).
    let head_count_kv =
        count(format!("{architecture}.attention.head_count_kv"))?.unwrap_or(head_count);
    Ok(BaseArchitecture {
        architecture,
        head_count,
        head_count_kv,
    })
}

fn config_architecture(config: &serde_json::Value) -> anyhow::Result<BaseArchitecture> {
    let architecture = config["model_type"]
        .as_str()
        .context("no model_type")?
        .to_string();
    let head_count = config["num_attention_heads"]
        .as_u64()
        .filter(|&n| n > 0)
        .context("no positive num_attention_heads")?;
    // transformers reads an absent (or null) num_key_value_heads as the head count.
    let head_count_kv = match &config["num_key_value_heads"] {
        serde_json::Value::Null => head_count,
        v => match v.as_u64() {
            Some(0) => head_count,
            Some(n) => n,
            None => bail!("num_key_value_heads is {v}, not a count"),
        },
    };
    Ok(BaseArchitecture {
        architecture,
        head_count,
        head_count_kv,
    })
}

/// The LoRA settings of `adapter_config.json` the conversion depends on.
#[derive(Debug, Clone, PartialEq)]
struct LoraConfig {
    rank: u64,
    alpha: f64,
}

fn lora_config(config: &serde_json::Value) -> anyhow::Result<LoraConfig> {
    let peft_type = &config["peft_type"];
    if peft_type != "LORA" {
        bail!("not a LoRA adapter (peft_type {peft_type})");
    }
    // These change how llama.cpp would have to scale or shape the update; it supports none.
    for key in ["use_rslora", "use_dora", "rank_pattern", "alpha_pattern"] {
        if truthy(&config[key]) {
            bail!("{key} is set; rsLoRA, DoRA and per-module ranks or alphas are not supported");
        }
    }
    let rank = config["r"]
        .as_u64()
        .filter(|&r| r > 0)
        .with_context(|| format!("r is {}, not a positive whole number", config["r"]))?;
    let alpha = config["lora_alpha"]
        .as_f64()
        .with_context(|| format!("lora_alpha is {}, not a number", config["lora_alpha"]))?;
    Ok(LoraConfig { rank, alpha })
}

/// Python's truthiness, which is how PEFT's optional settings read as "unset".
fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64() != Some(0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Array(a) => !a.is_empty(),
        serde_json::Value::Object(o) => !o.is_empty(),
    }
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Where a PEFT tensor goes: `...layers.N.<module>.lora_<A|B>.weight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    layer: u64,
    /// Index into `TENSORS`.
    module: usize,
    is_b: bool,
}

fn slot(key: &str) -> Option<Slot> {
    let (stem, is_b) = match (
        key.strip_suffix(".lora_A.weight"),
        key.strip_suffix(".lora_B.weight"),
    ) {
        (Some(stem), _) => (stem, false),
        (_, Some(stem)) => (stem, true),
        _ => return None,
    };
    let (module, prefix) = TENSORS.iter().enumerate().find_map(|(i, (hf, _))| {
        let prefix = stem.strip_suffix(hf)?.strip_suffix('.')?;
        Some((i, prefix))
    })?;
    let (layers, layer) = prefix.rsplit_once('.')?;
    if !layers.ends_with("layers") || layer.is_empty() || !layer.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(Slot {
        layer: layer.parse().ok()?,
        module,
        is_b,
    })
}

/// Reorders B's rows as llama.cpp's llama conversion reorders q/k weight rows: within each head,
/// the first and second halves of the rows interleave (rotary pairs), i.e. the rows viewed as
/// `(heads, 2, rows / heads / 2)` have their last two axes swapped.
fn permute_rows(b: &Tensor, heads: u64) -> anyhow::Result<Vec<f32>> {
    let (rows, rank) = (b.shape[0], b.shape[1]);
    let heads = usize::try_from(heads).unwrap_or(usize::MAX);
    if heads.checked_mul(2).is_none_or(|n| n == 0 || rows % n != 0) {
        bail!(
            "{} has {rows} rows, which {heads} heads of rotary pairs cannot split",
            b.name
        );
    }
    let half = rows / heads / 2;
    let mut out = Vec::with_capacity(b.values.len());
    for head in 0..heads {
        for i in 0..half {
            for pair in 0..2 {
                let row = head * 2 * half + pair * half + i;
                out.extend_from_slice(&b.values[row * rank..(row + 1) * rank]);
            }
        }
    }
    Ok(out)
}

/// Converts the PEFT adapter in `adapter_dir` for the base model `base` into `out`. Nothing is
/// written unless every tensor checks out. Errors name the file at fault.
pub fn convert(adapter_dir: &Path, base: &BaseModel, out: &Path) -> anyhow::Result<Conversion> {
    let config_path = adapter_dir.join("adapter_config.json");
    let config = lora_config(&read_json(&config_path)?)
        .with_context(|| format!("{}", config_path.display()))?;
    let base = base_architecture(base)?;
    let weights_path = adapter_dir.join("adapter_model.safetensors");
    // Metadata and tensors are kept apart by the writer, so the order of adding them is free.
    let mut writer = GgufWriter::new();
    writer.add_metadata(
        "general.architecture",
        Value::String(base.architecture.clone()),
    );
    writer.add_metadata("general.type", Value::String("adapter".into()));
    writer.add_metadata("adapter.type", Value::String("lora".into()));
    writer.add_metadata("adapter.lora.alpha", Value::F32(config.alpha as f32));
    writer.add_metadata("general.name", Value::String(folder_name(adapter_dir)));
    let count = add_tensors(
        &mut writer,
        safetensors::read(&weights_path)?,
        &config,
        &base,
    )
    .with_context(|| format!("{}", weights_path.display()))?;
    writer.write(out)?;
    Ok(Conversion {
        tensors: count,
        rank: config.rank,
        alpha: config.alpha,
        architecture: base.architecture,
    })
}

/// The adapter folder's own name (`peft` for `.../adapters/x/peft/`).
fn folder_name(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute
        .components()
        .next_back()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Checks and pairs the PEFT tensors and adds them in llama.cpp's names, ordered by layer then
/// Hugging Face module name. Returns how many tensors were added.
fn add_tensors(
    writer: &mut GgufWriter,
    tensors: Vec<Tensor>,
    config: &LoraConfig,
    base: &BaseArchitecture,
) -> anyhow::Result<usize> {
    let mut pairs: BTreeMap<(u64, &str), [Option<Tensor>; 2]> = BTreeMap::new();
    for tensor in tensors {
        let Some(slot) = slot(&tensor.name) else {
            bail!(
                "unsupported adapter tensor {} (the converter knows lora_A/lora_B of {} in layers.N)",
                tensor.name,
                TENSORS.map(|(hf, _)| hf).join(", ")
            );
        };
        let module = TENSORS[slot.module].0;
        pairs.entry((slot.layer, module)).or_default()[usize::from(slot.is_b)] = Some(tensor);
    }
    if pairs.is_empty() {
        bail!("no LoRA tensors");
    }
    let permuted = PERMUTED.contains(&base.architecture.as_str());
    let mut count = 0;
    for ((layer, module), [a, b]) in pairs {
        let (Some(a), Some(b)) = (a, b) else {
            bail!("layer {layer} {module} lacks lora_A or lora_B");
        };
        let rank = usize::try_from(config.rank).unwrap_or(usize::MAX);
        if a.shape.len() != 2 || b.shape.len() != 2 || a.shape[0] != rank || b.shape[1] != rank {
            bail!(
                "layer {layer} {module}: shapes {:?} (lora_A) and {:?} (lora_B) do not match rank {rank} of adapter_config.json",
                a.shape,
                b.shape
            );
        }
        let b_values = match module {
            "self_attn.q_proj" if permuted => permute_rows(&b, base.head_count)?,
            "self_attn.k_proj" if permuted => permute_rows(&b, base.head_count_kv)?,
            _ => b.values,
        };
        let name = TENSORS
            .iter()
            .find(|(hf, _)| *hf == module)
            .map(|(_, gguf)| *gguf)
            .expect("a known module");
        writer.add_f32(
            &format!("blk.{layer}.{name}.weight.lora_a"),
            &a.shape,
            a.values,
        );
        writer.add_f32(
            &format!("blk.{layer}.{name}.weight.lora_b"),
            &b.shape,
            b_values,
        );
        count += 2;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peft_keys_map_to_layers_and_modules_like_the_python_converter() {
        let s = slot("base_model.model.model.layers.12.self_attn.q_proj.lora_B.weight").unwrap();
        assert_eq!((s.layer, TENSORS[s.module].1, s.is_b), (12, "attn_q", true));
        let s = slot("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").unwrap();
        assert_eq!(
            (s.layer, TENSORS[s.module].1, s.is_b),
            (0, "ffn_down", false)
        );
        for unknown in [
            "base_model.model.model.layers.0.mlp.fc1.lora_A.weight",
            "base_model.model.model.layers.x.mlp.up_proj.lora_A.weight",
            "base_model.model.model.layers.0.mlp.up_proj.lora_A.bias",
            "base_model.model.model.layers.0.mlp.up_proj.lora_embedding_A",
            "base_model.model.lm_head.lora_A.weight",
            "base_model.model.model.blocks.0.mlp.up_proj.lora_A.weight",
        ] {
            assert_eq!(slot(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn q_k_rows_interleave_within_each_head() {
        let b = Tensor {
            name: "b".into(),
            shape: vec![8, 1],
            values: (0..8).map(|i| i as f32).collect(),
        };
        assert_eq!(
            permute_rows(&b, 2).unwrap(),
            [0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]
        );
        assert_eq!(
            permute_rows(&b, 1).unwrap(),
            [0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]
        );
        let message = permute_rows(&b, 3).unwrap_err().to_string();
        assert!(message.contains("8 rows, which 3 heads"), "{message}");
        assert!(
            permute_rows(&b, u64::MAX).is_err(),
            "a corrupt head count fails, not panics"
        );
    }

    #[test]
    fn configs_read_like_peft_and_transformers_write_them() {
        let base = config_architecture(&serde_json::json!({
            "model_type": "llama", "num_attention_heads": 9, "num_key_value_heads": 3
        }))
        .unwrap();
        assert_eq!((base.head_count, base.head_count_kv), (9, 3));
        let no_kv = config_architecture(&serde_json::json!({
            "model_type": "qwen2", "num_attention_heads": 4, "num_key_value_heads": null
        }))
        .unwrap();
        assert_eq!(no_kv.head_count_kv, 4);
        let lora = lora_config(&serde_json::json!({
            "peft_type": "LORA", "r": 8, "lora_alpha": 16, "use_rslora": false,
            "use_dora": false, "rank_pattern": {}, "alpha_pattern": {}
        }))
        .unwrap();
        assert_eq!(
            lora,
            LoraConfig {
                rank: 8,
                alpha: 16.0
            }
        );
        let dora = lora_config(&serde_json::json!({
            "peft_type": "LORA", "r": 8, "lora_alpha": 16, "use_dora": true
        }));
        assert!(dora.unwrap_err().to_string().contains("use_dora is set"));
        let prefix = lora_config(&serde_json::json!({"peft_type": "PREFIX_TUNING"}));
        assert!(
            prefix
                .unwrap_err()
                .to_string()
                .contains("not a LoRA adapter (peft_type \"PREFIX_TUNING\")")
        );
    }
}
