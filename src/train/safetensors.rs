//! Reads a safetensors file (what PEFT saves an adapter as) into f32 tensors.
//!
//! The format: a little-endian u64 header length, a JSON header mapping each tensor name to
//! `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data that follows the
//! header; an optional `__metadata__` entry holds strings), then the raw little-endian data.
//! Adapters are small (a few MB), so the file is read whole.

use std::path::Path;

use anyhow::{Context as _, bail};

/// One tensor, widened to f32 (exact for F16 and BF16), in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    /// PyTorch order: outermost dimension first.
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// The element types an adapter is saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F32,
    F16,
    BF16,
}

impl Dtype {
    fn parse(name: &str) -> Option<Dtype> {
        match name {
            "F32" => Some(Dtype::F32),
            "F16" => Some(Dtype::F16),
            "BF16" => Some(Dtype::BF16),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
        }
    }

    fn decode(self, bytes: &[u8]) -> Vec<f32> {
        match self {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            // bfloat16 is the top half of an f32.
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16))
                .collect(),
        }
    }
}

/// Reads every tensor of `path`, sorted by name. Errors name the file and say what is wrong.
pub fn read(path: &Path) -> anyhow::Result<Vec<Tensor>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes).with_context(|| format!("{} is not a usable safetensors file", path.display()))
}

fn parse(bytes: &[u8]) -> anyhow::Result<Vec<Tensor>> {
    let Some(length) = bytes.get(..8) else {
        bail!(
            "truncated: {} bytes, shorter than the header length",
            bytes.len()
        );
    };
    let header_len = u64::from_le_bytes(length.try_into().expect("8 bytes"));
    let data_start = usize::try_from(header_len)
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= bytes.len())
        .with_context(|| {
            format!(
                "truncated: the header claims {header_len} bytes, the file has {}",
                bytes.len()
            )
        })?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..data_start]).context("the header is not a JSON object")?;
    let data = &bytes[data_start..];
    let mut tensors = Vec::new();
    for (name, entry) in header {
        if name == "__metadata__" {
            continue;
        }
        tensors.push(tensor(&name, &entry, data).with_context(|| format!("tensor {name}"))?);
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tensors)
}

fn tensor(name: &str, entry: &serde_json::Value, data: &[u8]) -> anyhow::Result<Tensor> {
    let dtype_name = entry["dtype"].as_str().context("no dtype")?;
    let Some(dtype) = Dtype::parse(dtype_name) else {
        bail!("unsupported dtype {dtype_name} (F32, F16 and BF16 are supported)");
    };
    let shape: Vec<usize> = entry["shape"]
        .as_array()
        .context("no shape")?
        .iter()
        .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
        .collect::<Option<_>>()
        .context("the shape is not a list of sizes")?;
    let offsets = entry["data_offsets"]
        .as_array()
        .context("no data_offsets")?;
    let (begin, end) = match offsets.as_slice() {
        [b, e] => (
            b.as_u64().context("bad data_offsets")?,
            e.as_u64().context("bad data_offsets")?,
        ),
        _ => bail!("data_offsets is not [begin, end]"),
    };
    let elements = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .context("the shape is too large")?;
    let expected = elements
        .checked_mul(dtype.size())
        .context("the shape is too large")?;
    if end < begin || (end - begin) as u128 != expected as u128 {
        bail!(
            "data_offsets [{begin}, {end}] do not hold {expected} bytes of shape {shape:?} {dtype_name}"
        );
    }
    let raw = usize::try_from(begin)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(b, e)| data.get(b..e))
        .with_context(|| {
            format!(
                "truncated: its data [{begin}, {end}) lies past the end of the data ({} bytes)",
                data.len()
            )
        })?;
    Ok(Tensor {
        name: name.to_string(),
        shape,
        values: dtype.decode(raw),
    })
}

/// IEEE half precision to single, exactly (subnormals, infinities and NaN included).
pub fn f16_to_f32(half: u16) -> f32 {
    let negative = half & 0x8000 != 0;
    let sign = u32::from(half >> 15) << 31;
    let exponent = u32::from((half >> 10) & 0x1f);
    let mantissa = u32::from(half & 0x3ff);
    match exponent {
        // Zero and subnormals: mantissa * 2^-24, exact in f32.
        0 => {
            let magnitude = mantissa as f32 * f32::from_bits(0x3380_0000);
            if negative { -magnitude } else { magnitude }
        }
        // Infinities and NaN (the payload moves to the top of the f32 mantissa).
        0x1f => f32::from_bits(sign | 0x7f80_0000 | (mantissa << 13)),
        // Normal: rebias the exponent from 15 to 127.
        e => f32::from_bits(sign | ((e + 127 - 15) << 23) | (mantissa << 13)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &serde_json::Value, data: &[u8]) -> Vec<u8> {
        let header = serde_json::to_vec(header).unwrap();
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header);
        bytes.extend(data);
        bytes
    }

    #[test]
    fn reads_f32_f16_and_bf16_exactly_and_skips_the_metadata() {
        let mut data = Vec::new();
        for v in [1.5f32, -2.0] {
            data.extend(v.to_le_bytes());
        }
        // f16: 1.0, -0.5, the smallest subnormal, 65504 (the largest finite).
        for h in [0x3c00u16, 0xb800, 0x0001, 0x7bff] {
            data.extend(h.to_le_bytes());
        }
        // bf16: 3.0 and -1/256.
        for h in [0x4040u16, 0xbb80] {
            data.extend(h.to_le_bytes());
        }
        let bytes = file(
            &serde_json::json!({
                "__metadata__": {"format": "pt"},
                "b": {"dtype": "F16", "shape": [2, 2], "data_offsets": [8, 16]},
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "c": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [16, 20]},
            }),
            &data,
        );
        let tensors = parse(&bytes).unwrap();
        let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(tensors[0].values, [1.5, -2.0]);
        assert_eq!(tensors[1].shape, [2, 2]);
        assert_eq!(tensors[1].values, [1.0, -0.5, 2f32.powi(-24), 65504.0]);
        assert_eq!(tensors[2].values, [3.0, -1.0 / 256.0]);
    }

    #[test]
    fn f16_special_values_convert_exactly() {
        assert_eq!(f16_to_f32(0x0000).to_bits(), 0);
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000, "negative zero");
        assert_eq!(f16_to_f32(0x8001), -(2f32.powi(-24)));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14), "smallest normal");
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = |bytes: &[u8]| format!("{:#}", parse(bytes).unwrap_err());
        assert!(err(b"\x05\0\0").contains("truncated"));
        assert!(err(&(100u64.to_le_bytes())).contains("truncated: the header claims 100 bytes"));
        let header =
            serde_json::json!({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}});
        let whole = file(&header, &[0; 16]);
        assert!(err(&whole[..whole.len() - 1]).contains("truncated: its data [0, 16)"));
        let wrong_size =
            serde_json::json!({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}});
        assert!(err(&file(&wrong_size, &[0; 16])).contains("do not hold 12 bytes"));
        let int = serde_json::json!({"a": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]}});
        let message = err(&file(&int, &[0; 16]));
        assert!(
            message.contains("tensor a: unsupported dtype I64"),
            "{message}"
        );
        assert!(err(&file(&serde_json::json!([1]), &[])).contains("not a JSON object"));
    }
}
