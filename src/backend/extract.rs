//! Provisional: replaced by the openai work's extractor at merge.
pub fn extract_code(text: &str, function_name: &str) -> Option<String> {
    let t = text.trim();
    if let Some(start) = t.find("```python\n") {
        let rest = &t[start + 10..];
        return rest.find("```").map(|e| rest[..e].to_string());
    }
    if let Some(i) = t
        .find(&format!("def {function_name}("))
        .or_else(|| t.find("def "))
    {
        return Some(t[i..].to_string());
    }
    None
}
