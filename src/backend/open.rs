//! Choosing and opening the backend named on the command line.

use super::{Backend, mock, openai};

/// Builds the backend chosen on the command line. For `openai` the server is checked first, so
/// an unreachable server or an unknown model is one clear error before any task starts.
pub fn open(args: &crate::cli::BackendArgs) -> anyhow::Result<std::sync::Arc<dyn Backend>> {
    use crate::cli::BackendKind;
    match args.backend {
        BackendKind::Mock => Ok(std::sync::Arc::new(mock::MockBackend)),
        BackendKind::Openai => {
            let Some(base_url) = args.base_url.clone().filter(|u| !u.trim().is_empty()) else {
                return Err(crate::error::UsageError(
                    "--backend openai needs --base-url or RSLM_BASE_URL".into(),
                )
                .into());
            };
            let Some(model) = args.model.clone().filter(|m| !m.trim().is_empty()) else {
                return Err(crate::error::UsageError(
                    "--backend openai needs --model or RSLM_MODEL".into(),
                )
                .into());
            };
            if !(args.request_timeout.is_finite() && args.request_timeout > 0.0) {
                return Err(crate::error::UsageError(
                    "--request-timeout must be a positive number of seconds".into(),
                )
                .into());
            }
            let backend = openai::OpenAiBackend::new(openai::OpenAiConfig {
                base_url,
                model,
                api_key: args.api_key.clone().filter(|k| !k.is_empty()),
                request_timeout: std::time::Duration::from_secs_f64(args.request_timeout),
                max_retries: 4,
                connect_timeout: std::time::Duration::from_secs(5),
            })?;
            let info = backend.preflight()?;
            tracing::info!(api = %info.api_root, "model server ready");
            Ok(std::sync::Arc::new(backend))
        }
    }
}
