//! The model endpoint options shared by `graft serve` and `graft generate`.

use std::time::Duration;

use anyhow::Context;
use llm::{Client, ClientConfig, Endpoint, Provider};

/// Where the model is and how to talk to it. No base URL: no model (offline defaults).
#[derive(clap::Args, Clone)]
pub struct LlmArgs {
    /// Base URL of an OpenAI-compatible chat-completions endpoint, up to and including `/v1`
    /// (https://api.openai.com/v1, http://127.0.0.1:11434/v1 for Ollama, …). Without it,
    /// verbalize and judge run offline.
    #[arg(long, env = "GRAFT_LLM_BASE_URL")]
    pub llm_base_url: Option<String>,
    /// The model name sent with each request.
    #[arg(long, env = "GRAFT_LLM_MODEL")]
    pub llm_model: Option<String>,
    /// The API key, sent as a bearer token (never printed, stored or sent to browsers).
    #[arg(long, env = "GRAFT_LLM_API_KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,
    /// The kind of server: generic, openai, llamacpp or ollama (a few request fields differ).
    #[arg(long, env = "GRAFT_LLM_PROVIDER", default_value = "generic")]
    pub llm_provider: String,
    /// Seconds allowed for one request, answer included.
    #[arg(long, env = "GRAFT_LLM_TIMEOUT", default_value_t = 120)]
    pub llm_timeout: u64,
    /// Retries after a timeout, a refused connection, a 429 or a 5xx (with backoff).
    #[arg(long, env = "GRAFT_LLM_RETRIES", default_value_t = 3)]
    pub llm_retries: u32,
    /// Requests in flight at once.
    #[arg(long, env = "GRAFT_LLM_CONCURRENCY", default_value_t = 4)]
    pub llm_concurrency: usize,
}

impl LlmArgs {
    /// Timeouts, retries and concurrency.
    pub fn config(&self) -> ClientConfig {
        ClientConfig {
            timeout: Duration::from_secs(self.llm_timeout.max(1)),
            max_retries: self.llm_retries,
            concurrency: self.llm_concurrency.max(1),
            ..ClientConfig::default()
        }
    }

    /// The client, or `None` when no base URL is set.
    pub fn client(&self) -> anyhow::Result<Option<Client>> {
        let Some(base_url) = self
            .llm_base_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        else {
            return Ok(None);
        };
        let provider = Provider::parse(&self.llm_provider)
            .map_err(anyhow::Error::msg)
            .context("--llm-provider / GRAFT_LLM_PROVIDER")?;
        let model = match (&self.llm_model, provider) {
            (Some(m), _) if !m.trim().is_empty() => m.trim().to_string(),
            // A llama.cpp server serves the one model it loaded, whatever the name.
            (_, Provider::LlamaCpp) => "local".to_string(),
            _ => anyhow::bail!(
                "GRAFT_LLM_BASE_URL is set but no model is named: set GRAFT_LLM_MODEL (or \
                 --llm-model), e.g. gpt-4o-mini or llama3.2"
            ),
        };
        let endpoint = Endpoint {
            base_url: base_url.trim().to_string(),
            model,
            api_key: self.llm_api_key.clone().filter(|k| !k.trim().is_empty()),
            provider,
        };
        Client::new(endpoint, self.config())
            .map(Some)
            .map_err(anyhow::Error::msg)
            .context("the LLM endpoint settings")
    }
}

/// One line that says which model is used (never the key).
pub fn describe(client: Option<&Client>) -> String {
    match client {
        Some(c) => format!(
            "model {} at {}{}",
            c.model(),
            c.endpoint().base_url,
            if c.endpoint().api_key.is_some() { " (with an API key)" } else { "" }
        ),
        None => "no model configured: verbalize and judge run offline (set GRAFT_LLM_BASE_URL to use one)".into(),
    }
}
