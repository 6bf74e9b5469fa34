//! The status page at `/`: one embedded HTML file (`page.html`: no framework, no build
//! step), served without the token. Without JavaScript it shows what `/health` shows,
//! rendered here; with JavaScript, once given the token (kept in the browser), it reads
//! `/api/status`, `/api/processes`, `/api/actions`, `/api/logs` and `/api/history` every
//! 10 s and draws the workers, the upstreams, a chart of the last hours, the last actions
//! and the log.

use serde_json::Value;

use super::http1::Response;

const TEMPLATE: &str = include_str!("page.html");

/// What the page is served with: nothing from elsewhere, scripts and styles only inline,
/// requests only to this server, never framed.
const HEADERS: &[&str] = &[
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: no-referrer",
];

/// The page, with `health` (the body `/health` answers) rendered in, for a server under
/// `url_base`; `token_in_query`: the page may take the token from `?token=`.
pub(crate) fn render(health: &Value, url_base: &str, token_in_query: bool) -> Response {
    let base = escape(url_base);
    let body = TEMPLATE
        .replace(
            "data-base=\"{{BASE}}\"",
            &format!(
                "data-base=\"{base}\" data-token-query=\"{}\"",
                u8::from(token_in_query)
            ),
        )
        .replace("{{VERSION}}", env!("CARGO_PKG_VERSION"))
        .replace("{{HEALTH}}", &health_html(health));
    let mut response = Response::new(200, "text/html; charset=utf-8", body.into_bytes());
    response.headers = HEADERS;
    response
}

/// `/health`'s answer as HTML, for the page without JavaScript.
fn health_html(health: &Value) -> String {
    let ok = health["status"] == "ok";
    let mut out = format!(
        "<h2><span class=\"badge {}\">{}</span></h2>\n",
        if ok { "ok" } else { "bad" },
        if ok { "healthy" } else { "unhealthy" }
    );
    match health["problems"].as_array() {
        Some(problems) if !problems.is_empty() => {
            out.push_str("<ul class=\"problems\">\n");
            for p in problems {
                out.push_str(&format!(
                    "<li>{}: {}</li>\n",
                    escape(p["part"].as_str().unwrap_or("?")),
                    escape(p["problem"].as_str().unwrap_or("?"))
                ));
            }
            out.push_str("</ul>\n");
        }
        _ => out.push_str(&format!(
            "<p class=\"muted\">{} worker(s) running, every one passing.</p>\n",
            health["workers"].as_u64().unwrap_or(0)
        )),
    }
    out
}

/// Text made safe for HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_page_is_small_and_renders_health_without_javascript() {
        assert!(TEMPLATE.len() < 40 * 1024, "{} bytes", TEMPLATE.len());
        let healthy = render(&json!({"status": "ok", "workers": 2}), "", false);
        let html = String::from_utf8(healthy.body).unwrap();
        assert!(html.contains("healthy</span>") && html.contains("2 worker(s) running"));
        assert!(html.contains("data-base=\"\" data-token-query=\"0\""));
        assert!(!html.contains("{{"), "every placeholder filled");
        assert!(healthy
            .headers
            .iter()
            .any(|h| h.starts_with("Content-Security-Policy")));

        let sick = json!({"status": "unhealthy", "problems": [
            {"part": "qBit", "problem": "qBittorrent unreachable for 3 passes"},
            {"part": "<script>", "problem": "a \"quoted\" & <b>bold</b> name"}
        ]});
        let html = String::from_utf8(render(&sick, "/qbitrr", true).body).unwrap();
        assert!(html.contains("<li>qBit: qBittorrent unreachable for 3 passes</li>"));
        assert!(
            html.contains("<li>&lt;script&gt;: a &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; name</li>")
        );
        assert!(html.contains("data-base=\"/qbitrr\" data-token-query=\"1\""));
    }
}
