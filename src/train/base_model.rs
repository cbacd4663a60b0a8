//! The base model an adapter is trained from: a Hugging Face folder or a GGUF file, identified
//! by its sha256 so an adapter is never applied to weights it was not trained for.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

/// The GGUF model the project serves with llama.cpp (see `scripts/train_env.sh`).
pub const DEFAULT_GGUF: &str = ".rslm/models/SmolLM2-135M-Instruct.Q4_1.gguf";

/// A base model on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseModel {
    /// A single GGUF file (transformers dequantizes it for training).
    Gguf(PathBuf),
    /// A Hugging Face model folder (`config.json`, weights, tokenizer).
    Folder(PathBuf),
}

impl BaseModel {
    /// Resolves the `--base-model` value (or the default GGUF). `Err` holds what is missing.
    pub fn resolve(path: Option<&Path>) -> Result<BaseModel, String> {
        let path = path.map_or_else(|| PathBuf::from(DEFAULT_GGUF), Path::to_path_buf);
        if path.is_dir() {
            if path.join("config.json").is_file() {
                return Ok(BaseModel::Folder(path));
            }
            return Err(format!(
                "the base model folder {} has no config.json (expected a Hugging Face model folder)",
                path.display()
            ));
        }
        if path.is_file() {
            let mut magic = [0u8; 4];
            let ok = std::fs::File::open(&path)
                .and_then(|mut f| f.read_exact(&mut magic))
                .is_ok();
            if ok && &magic == b"GGUF" {
                return Ok(BaseModel::Gguf(path));
            }
            return Err(format!(
                "the base model {} is neither a GGUF file nor a Hugging Face folder",
                path.display()
            ));
        }
        Err(format!("the base model {} does not exist", path.display()))
    }

    pub fn path(&self) -> &Path {
        match self {
            BaseModel::Gguf(p) | BaseModel::Folder(p) => p,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            BaseModel::Gguf(_) => "gguf",
            BaseModel::Folder(_) => "hf-folder",
        }
    }

    /// sha256 of the file; for a folder, of the sorted list of its files' paths and digests.
    pub fn sha256(&self) -> anyhow::Result<String> {
        match self {
            BaseModel::Gguf(p) => file_sha256(p),
            BaseModel::Folder(root) => {
                let mut files = Vec::new();
                collect_files(root, root, &mut files)?;
                files.sort();
                let mut listing = String::new();
                for rel in files {
                    let digest = file_sha256(&root.join(&rel))?;
                    listing.push_str(&format!("{digest}  {rel}\n"));
                }
                Ok(hex(&Sha256::digest(listing.as_bytes())))
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 of a file, streamed.
pub fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        // Caches and lock files of hub clients are not part of the model.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_gguf_files_and_folders_and_names_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let gguf = dir.path().join("m.gguf");
        std::fs::write(&gguf, b"GGUF\x03\0\0\0rest").unwrap();
        assert_eq!(
            BaseModel::resolve(Some(&gguf)).unwrap(),
            BaseModel::Gguf(gguf.clone())
        );
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"hello").unwrap();
        assert!(
            BaseModel::resolve(Some(&text))
                .unwrap_err()
                .contains("neither")
        );
        let folder = dir.path().join("hf");
        std::fs::create_dir(&folder).unwrap();
        assert!(
            BaseModel::resolve(Some(&folder))
                .unwrap_err()
                .contains("config.json")
        );
        std::fs::write(folder.join("config.json"), b"{}").unwrap();
        std::fs::write(folder.join("model.safetensors"), b"w").unwrap();
        let model = BaseModel::resolve(Some(&folder)).unwrap();
        let first = model.sha256().unwrap();
        std::fs::write(folder.join("model.safetensors"), b"x").unwrap();
        assert_ne!(model.sha256().unwrap(), first, "weights change the digest");
        assert!(
            BaseModel::resolve(Some(&dir.path().join("none")))
                .unwrap_err()
                .contains("does not exist")
        );
    }
}
