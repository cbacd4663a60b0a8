//! The GGUF file format of llama.cpp (version 3, little-endian): a reader for a base model's
//! metadata (and, for tests and checks, F32/F16 tensor data) and a writer for F32 tensors.
//!
//! Layout: magic `GGUF`, u32 version, u64 tensor count, u64 metadata count; the metadata as
//! (string key, u32 value type, value); the tensor infos as (string name, u32 dimension count,
//! u64 dimensions innermost first, u32 ggml type, u64 offset into the data section); padding to
//! the alignment; the data section. A string is a u64 byte length and UTF-8 without a NUL. The
//! alignment is `general.alignment` when present, else 32; every tensor offset is a multiple of
//! it and the data section starts at a multiple of it.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

const MAGIC: &[u8; 4] = b"GGUF";
const VERSION: u32 = 3;
const DEFAULT_ALIGNMENT: u64 = 32;
const ALIGNMENT_KEY: &str = "general.alignment";

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    Array(Vec<Value>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Value {
    /// The type number GGUF stores before a value.
    fn type_id(&self) -> u32 {
        match self {
            Value::U8(_) => 0,
            Value::I8(_) => 1,
            Value::U16(_) => 2,
            Value::I16(_) => 3,
            Value::U32(_) => 4,
            Value::I32(_) => 5,
            Value::F32(_) => 6,
            Value::Bool(_) => 7,
            Value::String(_) => 8,
            Value::Array(_) => 9,
            Value::U64(_) => 10,
            Value::I64(_) => 11,
            Value::F64(_) => 12,
        }
    }

    /// Any non-negative integer value.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// The ggml element types this module reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    F32,
    F16,
    /// Any other ggml type (quantized and so on), by number: listed, not decoded.
    Other(u32),
}

impl TensorType {
    fn from_id(id: u32) -> TensorType {
        match id {
            0 => TensorType::F32,
            1 => TensorType::F16,
            other => TensorType::Other(other),
        }
    }
}

/// Where a tensor is and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// GGUF order: innermost (contiguous) dimension first, the reverse of PyTorch's shape.
    pub dims: Vec<u64>,
    pub kind: TensorType,
    /// From the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    fn elements(&self) -> Option<u64> {
        self.dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d))
    }
}

/// A GGUF file's header: metadata and tensor infos, not the tensor data.
#[derive(Debug, Clone)]
pub struct Gguf {
    pub path: PathBuf,
    pub version: u32,
    /// In file order.
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Absolute file offset of the data section.
    pub data_start: u64,
}

impl Gguf {
    /// Reads the header of `path` (a model's header is a few MB at most; the weights are not
    /// read). Errors name the file.
    pub fn open(path: &Path) -> anyhow::Result<Gguf> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let len = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        let mut reader = Reader {
            inner: BufReader::new(file),
            position: 0,
            len,
        };
        read_header(&mut reader, path)
            .with_context(|| format!("{} is not a usable GGUF file", path.display()))
    }

    /// The value of metadata `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The info of tensor `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The values of an F32 or F16 tensor, in storage order (innermost dimension fastest).
    pub fn read_f32(&self, name: &str) -> anyhow::Result<Vec<f32>> {
        let info = self
            .tensor(name)
            .with_context(|| format!("{} has no tensor {name}", self.path.display()))?;
        let width = match info.kind {
            TensorType::F32 => 4,
            TensorType::F16 => 2,
            TensorType::Other(id) => bail!(
                "{}: tensor {name} has ggml type {id}, only F32 and F16 are decoded",
                self.path.display()
            ),
        };
        let bytes = info
            .elements()
            .and_then(|n| n.checked_mul(width))
            .and_then(|n| usize::try_from(n).ok())
            .with_context(|| format!("{}: tensor {name} is too large", self.path.display()))?;
        let mut data = vec![0u8; bytes];
        let mut file = File::open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        let start = self.data_start.saturating_add(info.offset);
        file.seek(SeekFrom::Start(start))
            .and_then(|_| file.read_exact(&mut data))
            .with_context(|| {
                format!(
                    "{}: the data of tensor {name} lies past the end of the file",
                    self.path.display()
                )
            })?;
        Ok(match info.kind {
            TensorType::F16 => data
                .chunks_exact(2)
                .map(|b| super::safetensors::f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            _ => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        })
    }
}

/// A byte reader that knows the file length, so a corrupt count or length fails with
/// "truncated" instead of allocating what the file cannot hold.
struct Reader<R> {
    inner: R,
    position: u64,
    len: u64,
}

impl<R: Read> Reader<R> {
    fn bytes<const N: usize>(&mut self) -> anyhow::Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .with_context(|| format!("truncated at byte {}", self.position))?;
        self.position += N as u64;
        Ok(buf)
    }

    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> anyhow::Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    /// A count of items that each take at least `min_size` bytes of what is left.
    fn count(&mut self, min_size: u64) -> anyhow::Result<u64> {
        let at = self.position;
        let n = self.u64()?;
        if n.saturating_mul(min_size) > self.len.saturating_sub(self.position) {
            bail!("truncated: a count of {n} at byte {at} exceeds the file");
        }
        Ok(n)
    }

    fn string(&mut self) -> anyhow::Result<String> {
        let at = self.position;
        let n = self.count(1)?;
        let mut buf = vec![0u8; n as usize];
        self.inner
            .read_exact(&mut buf)
            .with_context(|| format!("truncated in the string at byte {at}"))?;
        self.position += n;
        String::from_utf8(buf).with_context(|| format!("the string at byte {at} is not UTF-8"))
    }

    fn value(&mut self, type_id: u32, depth: u32) -> anyhow::Result<Value> {
        Ok(match type_id {
            0 => Value::U8(u8::from_le_bytes(self.bytes()?)),
            1 => Value::I8(i8::from_le_bytes(self.bytes()?)),
            2 => Value::U16(u16::from_le_bytes(self.bytes()?)),
            3 => Value::I16(i16::from_le_bytes(self.bytes()?)),
            4 => Value::U32(self.u32()?),
            5 => Value::I32(i32::from_le_bytes(self.bytes()?)),
            6 => Value::F32(f32::from_le_bytes(self.bytes()?)),
            7 => match self.bytes::<1>()? {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                [b] => bail!("a bool of {b} at byte {}", self.position - 1),
            },
            8 => Value::String(self.string()?),
            9 => {
                if depth > 8 {
                    bail!("arrays nested deeper than 8 at byte {}", self.position);
                }
                let element = self.u32()?;
                let n = self.count(1)?;
                let mut items = Vec::with_capacity(n.min(1 << 20) as usize);
                for _ in 0..n {
                    items.push(self.value(element, depth + 1)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64()?),
            11 => Value::I64(i64::from_le_bytes(self.bytes()?)),
            12 => Value::F64(f64::from_le_bytes(self.bytes()?)),
            other => bail!(
                "unknown metadata value type {other} at byte {}",
                self.position - 4
            ),
        })
    }
}

fn read_header<R: Read>(r: &mut Reader<R>, path: &Path) -> anyhow::Result<Gguf> {
    let magic: [u8; 4] = r.bytes().context("truncated: no GGUF magic")?;
    if &magic != MAGIC {
        bail!("it does not start with GGUF");
    }
    let version = r.u32()?;
    // Version 1 used u32 counts and lengths; llama.cpp itself reads only 2 and 3.
    if !(2..=3).contains(&version) {
        bail!("GGUF version {version} is not supported (2 and 3 are)");
    }
    // A tensor info takes at least 8 + 4 + 4 + 8 bytes, a metadata entry 8 + 4 + 1.
    let tensor_count = r.count(24)?;
    let metadata_count = r.count(13)?;
    let mut metadata = Vec::new();
    for _ in 0..metadata_count {
        let key = r.string()?;
        let type_id = r.u32()?;
        let value = r
            .value(type_id, 0)
            .with_context(|| format!("metadata {key}"))?;
        metadata.push((key, value));
    }
    let mut tensors = Vec::new();
    for _ in 0..tensor_count {
        let name = r.string()?;
        let n_dims = r.u32()?;
        if n_dims > 4 {
            bail!("tensor {name} has {n_dims} dimensions (ggml has at most 4)");
        }
        let dims = (0..n_dims)
            .map(|_| r.u64())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let kind = TensorType::from_id(r.u32()?);
        let offset = r.u64()?;
        tensors.push(TensorInfo {
            name,
            dims,
            kind,
            offset,
        });
    }
    let alignment = match metadata.iter().find(|(k, _)| k == ALIGNMENT_KEY) {
        None => DEFAULT_ALIGNMENT,
        Some((_, Value::U32(a))) if a.is_power_of_two() => u64::from(*a),
        Some((_, other)) => bail!("{ALIGNMENT_KEY} is {other:?}, not a power of two u32"),
    };
    Ok(Gguf {
        path: path.to_path_buf(),
        version,
        metadata,
        tensors,
        alignment,
        data_start: r.position.next_multiple_of(alignment),
    })
}

/// A GGUF file to write: metadata in the order added, then F32 tensors in the order added.
#[derive(Debug, Default)]
pub struct GgufWriter {
    metadata: Vec<(String, Value)>,
    tensors: Vec<(String, Vec<u64>, Vec<f32>)>,
}

impl GgufWriter {
    pub fn new() -> GgufWriter {
        GgufWriter::default()
    }

    pub fn add_metadata(&mut self, key: &str, value: Value) {
        self.metadata.push((key.to_string(), value));
    }

    /// Adds an F32 tensor given in PyTorch's shape (outermost first) and row-major values;
    /// GGUF stores the dimensions the other way round.
    pub fn add_f32(&mut self, name: &str, shape: &[usize], values: Vec<f32>) {
        assert_eq!(
            shape.iter().product::<usize>(),
            values.len(),
            "tensor {name}: the shape does not match the values"
        );
        let dims = shape.iter().rev().map(|&d| d as u64).collect();
        self.tensors.push((name.to_string(), dims, values));
    }

    /// Writes the file. The alignment is the default (32): this writer never sets
    /// `general.alignment`.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        assert!(
            self.metadata.iter().all(|(k, _)| k != ALIGNMENT_KEY),
            "the writer aligns to the default only"
        );
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::new(file);
        self.write_to(&mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut header = Vec::new();
        header.extend(MAGIC);
        header.extend(VERSION.to_le_bytes());
        header.extend((self.tensors.len() as u64).to_le_bytes());
        header.extend((self.metadata.len() as u64).to_le_bytes());
        for (key, value) in &self.metadata {
            put_string(&mut header, key);
            header.extend(value.type_id().to_le_bytes());
            put_value(&mut header, value);
        }
        let mut offset = 0u64;
        for (name, dims, values) in &self.tensors {
            put_string(&mut header, name);
            header.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                header.extend(d.to_le_bytes());
            }
            header.extend(0u32.to_le_bytes()); // ggml type F32
            header.extend(offset.to_le_bytes());
            offset += (values.len() as u64 * 4).next_multiple_of(DEFAULT_ALIGNMENT);
        }
        pad(&mut header);
        out.write_all(&header)?;
        // Each tensor is padded to the alignment, the last one too (as gguf-py does).
        for (_, _, values) in &self.tensors {
            let mut data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            pad(&mut data);
            out.write_all(&data)?;
        }
        Ok(())
    }
}

fn pad(bytes: &mut Vec<u8>) {
    let aligned = (bytes.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT);
    bytes.resize(aligned as usize, 0);
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::U8(v) => out.extend(v.to_le_bytes()),
        Value::I8(v) => out.extend(v.to_le_bytes()),
        Value::U16(v) => out.extend(v.to_le_bytes()),
        Value::I16(v) => out.extend(v.to_le_bytes()),
        Value::U32(v) => out.extend(v.to_le_bytes()),
        Value::I32(v) => out.extend(v.to_le_bytes()),
        Value::F32(v) => out.extend(v.to_le_bytes()),
        Value::Bool(v) => out.push(u8::from(*v)),
        Value::String(s) => put_string(out, s),
        Value::Array(items) => {
            // GGUF arrays are homogeneous; an empty one is stored as an array of u8.
            let element = items.first().map_or(0, Value::type_id);
            assert!(
                items.iter().all(|v| v.type_id() == element),
                "a GGUF array holds one type"
            );
            out.extend(element.to_le_bytes());
            out.extend((items.len() as u64).to_le_bytes());
            for item in items {
                put_value(out, item);
            }
        }
        Value::U64(v) => out.extend(v.to_le_bytes()),
        Value::I64(v) => out.extend(v.to_le_bytes()),
        Value::F64(v) => out.extend(v.to_le_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GGUF file built byte by byte from the specification, independently of the writer.
    fn handmade() -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend((s.len() as u64).to_le_bytes());
            out.extend(s.as_bytes());
        }
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(1u64.to_le_bytes()); // tensors
        f.extend(4u64.to_le_bytes()); // metadata
        string(&mut f, "general.architecture");
        f.extend(8u32.to_le_bytes());
        string(&mut f, "llama");
        string(&mut f, "llama.attention.head_count");
        f.extend(4u32.to_le_bytes());
        f.extend(9u32.to_le_bytes());
        string(&mut f, "tokenizer.ggml.tokens");
        f.extend(9u32.to_le_bytes());
        f.extend(8u32.to_le_bytes());
        f.extend(2u64.to_le_bytes());
        string(&mut f, "a");
        string(&mut f, "bc");
        string(&mut f, "general.alignment");
        f.extend(4u32.to_le_bytes());
        f.extend(64u32.to_le_bytes());
        string(&mut f, "w");
        f.extend(2u32.to_le_bytes());
        f.extend(2u64.to_le_bytes());
        f.extend(1u64.to_le_bytes());
        f.extend(1u32.to_le_bytes()); // F16
        f.extend(0u64.to_le_bytes());
        f.resize(f.len().next_multiple_of(64), 0);
        f.extend(0x3c00u16.to_le_bytes()); // 1.0
        f.extend(0xc000u16.to_le_bytes()); // -2.0
        f
    }

    #[test]
    fn reads_metadata_alignment_and_f16_data_of_a_handmade_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        let bytes = handmade();
        std::fs::write(&path, &bytes).unwrap();
        let g = Gguf::open(&path).unwrap();
        assert_eq!(g.version, 3);
        assert_eq!(
            g.get("general.architecture").unwrap().as_str(),
            Some("llama")
        );
        assert_eq!(
            g.get("llama.attention.head_count").unwrap().as_u64(),
            Some(9)
        );
        assert_eq!(
            g.get("tokenizer.ggml.tokens"),
            Some(&Value::Array(vec![
                Value::String("a".into()),
                Value::String("bc".into())
            ]))
        );
        assert_eq!(g.alignment, 64);
        assert_eq!(g.data_start as usize, bytes.len() - 4);
        assert_eq!(g.tensor("w").unwrap().dims, [2, 1]);
        assert_eq!(g.read_f32("w").unwrap(), [1.0, -2.0]);
    }

    #[test]
    fn the_writer_aligns_every_tensor_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.gguf");
        let mut w = GgufWriter::new();
        w.add_metadata("general.architecture", Value::String("llama".into()));
        w.add_metadata("adapter.lora.alpha", Value::F32(16.0));
        w.add_metadata(
            "flags",
            Value::Array(vec![Value::Bool(true), Value::Bool(false)]),
        );
        w.add_f32("a", &[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        w.add_f32("b", &[1], vec![-7.5]);
        w.write(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() % 32, 0);
        let g = Gguf::open(&path).unwrap();
        assert_eq!(g.data_start % 32, 0);
        assert_eq!(g.metadata.len(), 3);
        assert_eq!(g.get("adapter.lora.alpha"), Some(&Value::F32(16.0)));
        assert_eq!(
            g.get("flags"),
            Some(&Value::Array(vec![Value::Bool(true), Value::Bool(false)]))
        );
        let a = g.tensor("a").unwrap();
        assert_eq!(
            (a.dims.as_slice(), a.kind, a.offset),
            (&[3u64, 2][..], TensorType::F32, 0)
        );
        assert_eq!(g.tensor("b").unwrap().offset, 32, "24 bytes padded to 32");
        assert_eq!(g.read_f32("a").unwrap(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(g.read_f32("b").unwrap(), [-7.5]);
        assert_eq!(bytes.len() as u64, g.data_start + 64);
    }

    #[test]
    fn corrupt_files_fail_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gguf");
        let message = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            format!("{:#}", Gguf::open(&path).unwrap_err())
        };
        let bytes = handmade();
        let m = message(&bytes[..40]);
        assert!(m.contains("bad.gguf is not a usable GGUF file"), "{m}");
        assert!(m.contains("truncated"), "{m}");
        assert!(message(b"GGML\x03\0\0\0").contains("does not start with GGUF"));
        assert!(message(b"GGUF\x01\0\0\0").contains("version 1 is not supported"));
        let mut huge = bytes.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(message(&huge).contains("exceeds the file"));
        let mut bad_type = bytes.clone();
        // The type of the first metadata value follows the 24-byte header and the key.
        let at = 24 + 8 + "general.architecture".len();
        bad_type[at..at + 4].copy_from_slice(&13u32.to_le_bytes());
        let m = message(&bad_type);
        assert!(
            m.contains("metadata general.architecture: unknown metadata value type 13"),
            "{m}"
        );
        assert!(
            format!(
                "{:#}",
                Gguf::open(&dir.path().join("none.gguf")).unwrap_err()
            )
            .contains("cannot open")
        );
    }
}
