//! The few HTTP calls that manage a server (health, its model list, its adapters, vLLM's runtime
//! adapter loading), one request at a time on a small runtime of their own: generation goes
//! through the backend, not here.

use std::time::Duration;

use anyhow::Context as _;

/// An answer: status and body text (at most 8 MiB kept).
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// GET or POST (with a JSON body) `url`, with a timeout for the whole exchange.
pub fn call(
    method: &str,
    url: &str,
    body: Option<&serde_json::Value>,
    timeout: Duration,
) -> anyhow::Result<Answer> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .build()?;
        let mut request = match method {
            "POST" => client.post(url),
            _ => client.get(url),
        };
        if let Some(body) = body {
            request = request.json(body);
        }
        let reply = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = reply.status().as_u16();
        let bytes = reply.bytes().await?;
        let kept = &bytes[..bytes.len().min(8 << 20)];
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(kept).into_owned(),
        })
    })
}
