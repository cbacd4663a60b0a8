//! The OpenAI-compatible backend against the scripted fake server.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rslm::backend::openai::{OpenAiBackend, OpenAiConfig};
use rslm::backend::{AdapterRef, Backend, GenerationRequest};

use crate::support::fake_openai::{DEFAULT_MODEL, FakeOpenAi, NMode, Reply, SeenRequest};

const KEY: &str = "sk-test-5f3c9a1e-very-secret";
const SOLUTION: &str = "def add(a, b):\n    return a + b";

fn config(server: &FakeOpenAi) -> OpenAiConfig {
    OpenAiConfig {
        base_url: server.base_url(),
        model: DEFAULT_MODEL.into(),
        api_key: Some(KEY.into()),
        request_timeout: Duration::from_secs(5),
        max_retries: 2,
        connect_timeout: Duration::from_secs(2),
        ..OpenAiConfig::default()
    }
}

fn backend(server: &FakeOpenAi) -> OpenAiBackend {
    OpenAiBackend::new(config(server)).unwrap()
}

fn request(n: usize) -> GenerationRequest {
    GenerationRequest {
        system: "Reply with one Python code block.".into(),
        user: "Write add(a, b) returning the sum.".into(),
        shots: Vec::new(),
        function_name: "add".into(),
        n,
        temperature: 0.7,
        max_tokens: 256,
        seed: 100,
        adapter: None,
    }
}

fn fenced(code: &str) -> String {
    format!("```python\n{code}\n```")
}

/// A port nobody listens on.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1")
}

#[test]
fn fixed_answer_and_request_shape() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::text(fenced(SOLUTION)))
        .start();
    let candidates = backend(&server).generate(&request(1)).unwrap();
    assert_eq!(candidates.len(), 1);
    let c = &candidates[0];
    assert_eq!(c.code, SOLUTION);
    assert_eq!(c.raw, fenced(SOLUTION));
    assert_eq!(c.error, None);
    // The fake counts whitespace-separated words: 6 + 6 in the prompt, 9 in the answer.
    assert_eq!(c.prompt_tokens, Some(12));
    assert_eq!(c.completion_tokens, Some(9));
    assert!(c.latency_ms > 0.0);

    let seen = server.chat_log();
    assert_eq!(seen.len(), 1);
    let body = seen[0].json();
    assert_eq!(body["model"], DEFAULT_MODEL);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(
        body["messages"][1]["content"],
        "Write add(a, b) returning the sum."
    );
    assert_eq!(body["max_tokens"], 256);
    assert_eq!(body["seed"], 100);
    assert!((body["temperature"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    assert!(body.get("n").is_none(), "n=1 sends no n: {body}");
    assert!(body.get("lora").is_none());
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn no_key_sends_no_authorization() {
    let server = FakeOpenAi::start();
    let backend = OpenAiBackend::new(OpenAiConfig {
        api_key: None,
        ..config(&server)
    })
    .unwrap();
    backend.generate(&request(1)).unwrap();
    assert_eq!(server.chat_log()[0].header("authorization"), None);
}

#[test]
fn think_tags_and_fences_are_extracted() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::text(format!(
            "<think>\nMaybe a - b? No.\n</think>\n{}",
            fenced(SOLUTION)
        )))
        .start();
    let c = &backend(&server).generate(&request(1)).unwrap()[0];
    assert_eq!(c.code, SOLUTION);
    assert!(c.raw.starts_with("<think>"));
}

#[test]
fn prose_around_code_is_cut() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::text(format!(
            "Sure, here it is:\n{SOLUTION}\n\nThis returns the sum."
        )))
        .start();
    let c = &backend(&server).generate(&request(1)).unwrap()[0];
    assert_eq!(c.code, SOLUTION);
    assert_eq!(c.error, None);
}

#[test]
fn a_reply_cut_by_the_token_limit_loses_its_unfinished_tail() {
    let chat = |text: &str, finish: &str| Reply::Raw {
        status: 200,
        content_type: "application/json".into(),
        body: serde_json::json!({
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7}
        })
        .to_string(),
    };
    let cut = format!("{SOLUTION}\n\nprint(add(1, [5, 5, 5,");
    let server = FakeOpenAi::builder().start();
    server.push_all([chat(&cut, "length"), chat(&cut, "stop")]);
    let backend = backend(&server);
    let c = &backend.generate(&request(1)).unwrap()[0];
    assert_eq!(c.code, SOLUTION);
    assert_eq!(c.raw, cut);
    // A reply that stopped by itself is taken as written.
    let c = &backend.generate(&request(1)).unwrap()[0];
    assert_eq!(c.code, cut);
}

#[test]
fn prose_without_code_is_a_failed_candidate() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::text("I cannot write that function."))
        .start();
    let c = &backend(&server).generate(&request(1)).unwrap()[0];
    assert_eq!(c.code, "");
    assert_eq!(c.raw, "I cannot write that function.");
    assert!(c.error.as_deref().unwrap().contains("no Python code"));
}

#[test]
fn rate_limit_honours_retry_after() {
    let server = FakeOpenAi::start();
    server.push(Reply::rate_limited(1));
    let started = Instant::now();
    let candidates = backend(&server).generate(&request(1)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as told"
    );
    assert_eq!(server.chat_requests(), 2);
    assert_eq!(candidates[0].error, None);
}

#[test]
fn server_errors_are_retried() {
    let server = FakeOpenAi::start();
    server.push_all([Reply::status(500), Reply::status(503)]);
    let candidates = backend(&server).generate(&request(1)).unwrap();
    assert_eq!(server.chat_requests(), 3);
    assert_eq!(candidates[0].code, "def answer():\n    return 42");
}

#[test]
fn persistent_server_errors_are_an_error() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::status_message(500, "model crashed"))
        .start();
    let error = backend(&server).generate(&request(1)).unwrap_err();
    let text = format!("{error:#}");
    assert_eq!(server.chat_requests(), 3, "1 try + max_retries 2");
    assert!(text.contains("500"), "{text}");
    assert!(text.contains("model crashed"), "{text}");
    assert!(text.contains(&server.base_url()), "{text}");
}

#[test]
fn client_errors_are_not_retried() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::status_message(
            400,
            "the request exceeds the context size",
        ))
        .start();
    let error = backend(&server).generate(&request(1)).unwrap_err();
    let text = format!("{error:#}");
    assert_eq!(server.chat_requests(), 1);
    assert!(text.contains("400 Bad Request"), "{text}");
    assert!(text.contains("exceeds the context size"), "{text}");
}

#[test]
fn auth_failure_is_an_error_without_the_key() {
    // A server that quotes the key back, as some hosted APIs do.
    let server = FakeOpenAi::builder()
        .responder(|req| {
            Reply::status_message(
                401,
                &format!("invalid key {}", req.header("authorization").unwrap_or("")),
            )
        })
        .start();
    let error = backend(&server).generate(&request(1)).unwrap_err();
    let text = format!("{error:#} {error:?}");
    assert_eq!(server.chat_requests(), 1, "auth failures are not retried");
    assert!(text.contains("401"), "{text}");
    assert!(text.contains("API key"), "{text}");
    assert!(!text.contains(KEY), "{text}");
}

#[test]
fn the_key_appears_in_no_error() {
    let echo = |status: u16| {
        move |req: &SeenRequest| {
            Reply::status_message(status, req.header("authorization").unwrap_or(""))
        }
    };
    let mut texts = Vec::new();
    for status in [400, 403, 404, 422, 500] {
        let server = FakeOpenAi::builder().responder(echo(status)).start();
        let error = backend(&server).generate(&request(2)).unwrap_err();
        texts.push(format!("{error:#} {error:?}"));
    }
    // Malformed answers quote the body in the candidate's error.
    let server = FakeOpenAi::builder()
        .responder(|req| Reply::Raw {
            status: 200,
            content_type: "text/plain".into(),
            body: format!("oops {}", req.header("authorization").unwrap_or("")),
        })
        .start();
    let c = &backend(&server).generate(&request(1)).unwrap()[0];
    texts.push(c.error.clone().unwrap());
    // Dead port, wrong model, and the config itself.
    let dead = OpenAiConfig {
        base_url: dead_url(),
        ..config(&server)
    };
    let dead_backend = OpenAiBackend::new(dead.clone()).unwrap();
    texts.push(format!("{:#}", dead_backend.preflight().unwrap_err()));
    texts.push(format!(
        "{:#}",
        dead_backend.generate(&request(1)).unwrap_err()
    ));
    let wrong = OpenAiBackend::new(OpenAiConfig {
        model: "other".into(),
        ..config(&server)
    })
    .unwrap();
    texts.push(format!("{:#}", wrong.preflight().unwrap_err()));
    texts.push(format!("{dead:?} {dead_backend:?}"));
    for text in &texts {
        assert!(!text.contains(KEY), "key leaked: {text}");
        assert!(!text.contains("very-secret"), "key leaked: {text}");
    }
}

#[test]
fn a_delay_within_the_timeout_is_fine() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::delayed(
            Duration::from_millis(200),
            Reply::text(fenced(SOLUTION)),
        ))
        .start();
    let c = &backend(&server).generate(&request(1)).unwrap()[0];
    assert_eq!(c.code, SOLUTION);
    assert!(c.latency_ms >= 200.0, "{}", c.latency_ms);
    assert_eq!(server.chat_requests(), 1);
}

#[test]
fn a_hang_past_the_timeout_is_retried_then_an_error() {
    let server = FakeOpenAi::builder().default_reply(Reply::Hang).start();
    let backend = OpenAiBackend::new(OpenAiConfig {
        request_timeout: Duration::from_millis(300),
        max_retries: 1,
        ..config(&server)
    })
    .unwrap();
    let started = Instant::now();
    let error = backend.generate(&request(1)).unwrap_err();
    let text = format!("{error:#}");
    assert!(text.contains("did not answer within 300ms"), "{text}");
    assert_eq!(server.chat_requests(), 2);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_hang_then_an_answer_recovers() {
    let server = FakeOpenAi::start();
    server.push(Reply::Hang);
    let backend = OpenAiBackend::new(OpenAiConfig {
        request_timeout: Duration::from_millis(300),
        ..config(&server)
    })
    .unwrap();
    let c = &backend.generate(&request(1)).unwrap()[0];
    assert_eq!(c.error, None);
    assert_eq!(server.chat_requests(), 2);
}

#[test]
fn malformed_json_is_retried_then_a_failed_candidate() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::malformed())
        .start();
    let candidates = backend(&server).generate(&request(2)).unwrap();
    assert_eq!(server.chat_requests(), 3);
    assert_eq!(candidates.len(), 2);
    for c in &candidates {
        assert!(
            c.error
                .as_deref()
                .unwrap()
                .contains("not a chat completion")
        );
        assert_eq!(c.code, "");
    }
}

#[test]
fn malformed_once_then_fine() {
    let server = FakeOpenAi::start();
    server.push(Reply::malformed());
    let c = &backend(&server).generate(&request(1)).unwrap()[0];
    assert_eq!(c.error, None);
    assert_eq!(server.chat_requests(), 2);
}

#[test]
fn empty_choices_are_failed_candidates() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::empty_choices())
        .start();
    let backend = backend(&server);
    for n in [1, 3] {
        let candidates = backend.generate(&request(n)).unwrap();
        assert_eq!(candidates.len(), n);
        for c in &candidates {
            assert!(c.error.as_deref().unwrap().contains("no choices"));
        }
    }
    assert_eq!(server.chat_requests(), 2, "not retried, not refilled");
}

#[test]
fn n_honoured_takes_one_request_and_splits_usage() {
    let server = FakeOpenAi::builder()
        .default_reply(Reply::Choices(vec![
            fenced(SOLUTION),
            "```python\ndef add(a, b):\n    return b + a\n```".into(),
            "no idea at all".into(),
        ]))
        .start();
    let backend = backend(&server);
    let candidates = backend.generate(&request(3)).unwrap();
    assert_eq!(server.chat_requests(), 1);
    assert_eq!(server.chat_log()[0].n(), 3);
    assert_eq!(candidates.len(), 3);
    assert_eq!(candidates[0].code, SOLUTION);
    assert_eq!(candidates[1].code, "def add(a, b):\n    return b + a");
    assert!(candidates[2].error.is_some());
    // 12 prompt words and 9 + 9 + 4 completion words, shared over 3 candidates.
    let prompt: Vec<u32> = candidates
        .iter()
        .map(|c| c.prompt_tokens.unwrap())
        .collect();
    let completion: Vec<u32> = candidates
        .iter()
        .map(|c| c.completion_tokens.unwrap())
        .collect();
    assert_eq!(prompt, [4, 4, 4]);
    assert_eq!(completion, [8, 7, 7]);

    backend.generate(&request(3)).unwrap();
    assert_eq!(server.chat_requests(), 2, "still one request per call");
    assert_eq!(server.chat_log()[1].n(), 3);
}

#[test]
fn n_ignored_fills_in_with_distinct_seeds_and_is_remembered() {
    let server = FakeOpenAi::builder()
        .n_mode(NMode::Ignore)
        .responder(|req| {
            Reply::text(format!(
                "```python\n# seed {:?}\n{SOLUTION}\n```",
                req.seed()
            ))
        })
        .start();
    let backend = backend(&server);
    let candidates = backend.generate(&request(3)).unwrap();
    assert_eq!(candidates.len(), 3);
    let log = server.chat_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].n(), 3);
    let mut fill: Vec<(u64, Option<u64>)> = log[1..].iter().map(|r| (r.n(), r.seed())).collect();
    fill.sort();
    assert_eq!(fill, [(1, Some(101)), (1, Some(102))]);
    assert!(log[1..].iter().all(|r| r.json().get("n").is_none()));
    // Candidates come back in seed order.
    for (c, seed) in candidates.iter().zip([100, 101, 102]) {
        assert!(c.code.contains(&format!("seed Some({seed})")), "{}", c.code);
    }

    // Remembered: the next call asks one by one straight away.
    backend.generate(&request(3)).unwrap();
    let log = server.chat_log();
    assert_eq!(log.len(), 6);
    let mut seeds: Vec<u64> = log[3..].iter().map(|r| r.seed().unwrap()).collect();
    seeds.sort();
    assert_eq!(seeds, [100, 101, 102]);
    assert!(log[3..].iter().all(|r| r.n() == 1));
}

#[test]
fn n_rejected_like_llama_cpp_falls_back_and_is_remembered() {
    let server = FakeOpenAi::builder().n_mode(NMode::Reject).start();
    let backend = backend(&server);
    let candidates = backend.generate(&request(2)).unwrap();
    assert_eq!(candidates.len(), 2);
    assert!(candidates.iter().all(|c| c.error.is_none()));
    assert_eq!(server.chat_requests(), 3, "1 refused + 2 single");
    backend.generate(&request(2)).unwrap();
    assert_eq!(server.chat_requests(), 5, "no second probe");
}

#[test]
fn llama_cpp_adapter_goes_into_lora() {
    let server = FakeOpenAi::start();
    let mut req = request(1);
    req.adapter = Some(AdapterRef::llama_cpp(2, 0.5, &[0, 2]));
    backend(&server).generate(&req).unwrap();
    let body = server.chat_log()[0].json();
    assert_eq!(
        body["lora"],
        serde_json::json!([{"id": 0, "scale": 0.0}, {"id": 2, "scale": 0.5}]),
        "every loaded adapter is listed, the others at scale 0"
    );
    assert_eq!(body["model"], DEFAULT_MODEL);
}

#[test]
fn named_adapter_replaces_the_model() {
    let server = FakeOpenAi::start();
    let mut req = request(1);
    req.adapter = Some(AdapterRef::ModelName("add-lora".into()));
    backend(&server).generate(&req).unwrap();
    let body = server.chat_log()[0].json();
    assert_eq!(body["model"], "add-lora");
    assert!(body.get("lora").is_none());
}

#[test]
fn preflight_lists_the_models() {
    let server = FakeOpenAi::builder()
        .models(["other", DEFAULT_MODEL])
        .start();
    let info = backend(&server).preflight().unwrap();
    assert!(info.models_listed);
    assert_eq!(info.models, ["other", DEFAULT_MODEL]);
    assert_eq!(info.api_root, server.base_url());
    let models = &server.requests()[0];
    assert_eq!(
        (models.method.as_str(), models.path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(
        models.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn preflight_names_the_served_models_for_a_wrong_model() {
    let server = FakeOpenAi::builder().models(["a", "b"]).start();
    let error = backend(&server).preflight().unwrap_err();
    assert_eq!(
        format!("{error:#}"),
        format!(
            "model \"{DEFAULT_MODEL}\" is not served by {}; it serves: a, b",
            server.base_url()
        )
    );
}

#[test]
fn preflight_on_a_dead_port() {
    let url = dead_url();
    let backend = OpenAiBackend::new(OpenAiConfig {
        base_url: url.clone(),
        model: "m".into(),
        ..OpenAiConfig::default()
    })
    .unwrap();
    let started = Instant::now();
    let text = format!("{:#}", backend.preflight().unwrap_err());
    assert!(
        text.starts_with(&format!("cannot reach the model server at {url}: ")),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(2), "no retries");
}

#[test]
fn preflight_tolerates_a_server_without_models() {
    let server = FakeOpenAi::builder().no_models_endpoint().start();
    let info = backend(&server).preflight().unwrap();
    assert!(!info.models_listed);
    assert!(info.models.is_empty());
}

#[test]
fn a_wrong_key_fails_preflight_and_generate_without_leaking() {
    let server = FakeOpenAi::builder()
        .require_api_key("sk-the-right-one")
        .start();
    let backend = backend(&server);
    let preflight = format!("{:#}", backend.preflight().unwrap_err());
    let generate = format!("{:#}", backend.generate(&request(3)).unwrap_err());
    for text in [&preflight, &generate] {
        assert!(text.contains("401 Unauthorized"), "{text}");
        assert!(text.contains("check the API key"), "{text}");
        assert!(!text.contains(KEY), "{text}");
    }
    assert_eq!(
        server.chat_requests(),
        1,
        "not retried, not taken for an n refusal"
    );

    let keyless = OpenAiBackend::new(OpenAiConfig {
        api_key: None,
        ..config(&server)
    })
    .unwrap();
    let text = format!("{:#}", keyless.preflight().unwrap_err());
    assert!(text.contains("needs an API key"), "{text}");

    let right = OpenAiBackend::new(OpenAiConfig {
        api_key: Some("sk-the-right-one".into()),
        ..config(&server)
    })
    .unwrap();
    right.preflight().unwrap();
    assert_eq!(right.generate(&request(1)).unwrap()[0].error, None);
}

#[test]
fn generate_against_a_dead_server_is_an_error() {
    let backend = OpenAiBackend::new(OpenAiConfig {
        base_url: dead_url(),
        model: "m".into(),
        max_retries: 1,
        ..OpenAiConfig::default()
    })
    .unwrap();
    let text = format!("{:#}", backend.generate(&request(2)).unwrap_err());
    assert!(text.contains("cannot reach the model server at"), "{text}");
    assert!(text.contains("2 attempts"), "{text}");
}

#[test]
fn base_url_is_forgiving() {
    let server = FakeOpenAi::start();
    let root = format!("http://{}", server.addr());
    for base_url in [
        root.clone(),
        format!("{root}/"),
        format!("{root}/v1/"),
        format!("{root}/v1/chat/completions"),
    ] {
        let backend = OpenAiBackend::new(OpenAiConfig {
            base_url: base_url.clone(),
            ..config(&server)
        })
        .unwrap();
        assert_eq!(backend.api_root(), server.base_url(), "{base_url}");
        backend.preflight().unwrap();
        backend.generate(&request(1)).unwrap();
    }
    assert!(server.requests().iter().all(|r| r.path.starts_with("/v1/")));
}

#[test]
fn https_is_spoken_and_a_missing_model_is_refused_up_front() {
    // TLS to a plain-HTTP server on loopback fails at once with an error, not a hang.
    let server = FakeOpenAi::start();
    let https = OpenAiBackend::new(OpenAiConfig {
        base_url: server.base_url().replace("http://", "https://"),
        model: "fake-model".into(),
        max_retries: 0,
        ..OpenAiConfig::default()
    })
    .unwrap();
    assert!(https.preflight().is_err());
    assert_eq!(server.chat_requests(), 0);
    let nameless = OpenAiBackend::new(OpenAiConfig::default());
    assert!(format!("{:#}", nameless.unwrap_err()).contains("no model name"));
}

#[test]
fn concurrent_callers_overlap() {
    const THREADS: usize = 4;
    let server = FakeOpenAi::builder()
        .default_reply(Reply::delayed(
            Duration::from_millis(300),
            Reply::text(fenced(SOLUTION)),
        ))
        .start();
    let backend = Arc::new(backend(&server));
    let barrier = Arc::new(Barrier::new(THREADS));
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let backend = Arc::clone(&backend);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                backend.generate(&request(1)).unwrap()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap()[0].code, SOLUTION);
    }
    assert_eq!(server.chat_requests(), THREADS);
    assert_eq!(server.max_in_flight(), THREADS);
    assert!(started.elapsed() < Duration::from_millis(300 * THREADS as u64));
}

#[test]
fn fill_in_requests_run_concurrently() {
    let server = FakeOpenAi::builder()
        .n_mode(NMode::Reject)
        .default_reply(Reply::delayed(
            Duration::from_millis(200),
            Reply::text(fenced(SOLUTION)),
        ))
        .start();
    let candidates = backend(&server).generate(&request(4)).unwrap();
    assert_eq!(candidates.len(), 4);
    assert_eq!(server.max_in_flight(), 4);
}

/// Against a real server: `RSLM_LIVE_URL=http://127.0.0.1:8080/v1 RSLM_LIVE_MODEL=name
/// [RSLM_LIVE_KEY=...] cargo test --test openai_backend live -- --ignored --nocapture`.
#[test]
#[ignore = "needs a running OpenAI-compatible server (RSLM_LIVE_URL, RSLM_LIVE_MODEL)"]
fn live_server_smoke() {
    let (Ok(base_url), Ok(model)) = (
        std::env::var("RSLM_LIVE_URL"),
        std::env::var("RSLM_LIVE_MODEL"),
    ) else {
        eprintln!("RSLM_LIVE_URL / RSLM_LIVE_MODEL not set; nothing to do");
        return;
    };
    let backend = Arc::new(
        OpenAiBackend::new(OpenAiConfig {
            base_url,
            model,
            api_key: std::env::var("RSLM_LIVE_KEY").ok(),
            request_timeout: Duration::from_secs(120),
            max_retries: 1,
            connect_timeout: Duration::from_secs(5),
            ..OpenAiConfig::default()
        })
        .unwrap(),
    );
    eprintln!("preflight: {:?}", backend.preflight().unwrap());
    let mut req = request(3);
    req.max_tokens = 96;
    let started = Instant::now();
    let candidates = backend.generate(&req).unwrap();
    eprintln!("n=3 in {:?}", started.elapsed());
    assert_eq!(candidates.len(), 3);
    for c in &candidates {
        eprintln!(
            "--- tokens {:?}/{:?}, {:.0} ms, error {:?}\n{}",
            c.prompt_tokens, c.completion_tokens, c.latency_ms, c.error, c.code
        );
        assert!(!c.raw.is_empty());
    }
    let started = Instant::now();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let backend = Arc::clone(&backend);
            let mut req = request(1);
            req.seed = i;
            req.max_tokens = 64;
            std::thread::spawn(move || backend.generate(&req).unwrap())
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().len(), 1);
    }
    eprintln!("4 threads x n=1 in {:?}", started.elapsed());
}
