//! A recording HTTP proxy put between the daemon and a real qbittorrent-nox,
//! so tests can assert exactly which requests reached qBittorrent (e.g. that
//! a dry run sent nothing mutating).

use super::util::{request_header, with_headers, LoopbackServer};
use std::sync::{Arc, Mutex};

/// One request that went through the proxy.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub method: String,
    /// Path without the query string, e.g. "/api/v2/torrents/delete".
    pub path: String,
    pub body: String,
}

pub struct RecordingProxy {
    server: LoopbackServer,
    log: Arc<Mutex<Vec<Forwarded>>>,
}

impl RecordingProxy {
    /// Forwards every request to `target` ("http://127.0.0.1:PORT").
    pub fn start(target: &str) -> Self {
        let mut server = LoopbackServer::bind();
        let log = Arc::new(Mutex::new(Vec::new()));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .build()
            .new_agent();
        let (lg, target) = (Arc::clone(&log), target.to_string());
        server.serve("recording-proxy", move |mut req| {
            let mut body = Vec::new();
            let _ = req.as_reader().read_to_end(&mut body);
            let url = req.url().to_string();
            let path = url.split('?').next().unwrap_or("").to_string();
            lg.lock().unwrap().push(Forwarded {
                method: req.method().as_str().to_string(),
                path,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let full = format!("{target}{url}");
            let forwarded: Vec<(&str, String)> = ["Cookie", "Authorization", "Content-Type"]
                .into_iter()
                .filter_map(|name| Some((name, request_header(&req, name)?)))
                .collect();
            let result = if req.method().as_str() == "GET" {
                with_headers(agent.get(&full), forwarded).call()
            } else {
                with_headers(agent.post(&full), forwarded).send(&body[..])
            };
            let response = match result {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let mut headers = Vec::new();
                    for name in ["set-cookie", "content-type"] {
                        for v in resp.headers().get_all(name) {
                            if let Ok(v) = v.to_str() {
                                headers.push(tiny_http::Header::from_bytes(name, v).expect("header"));
                            }
                        }
                    }
                    let data = resp
                        .body_mut()
                        .with_config()
                        .limit(256 << 20)
                        .read_to_vec()
                        .unwrap_or_default();
                    let mut r = tiny_http::Response::from_data(data).with_status_code(status);
                    for h in headers {
                        r.add_header(h);
                    }
                    r
                }
                Err(_) => tiny_http::Response::from_data(Vec::new()).with_status_code(502),
            };
            let _ = req.respond(response);
        });
        Self { server, log }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn requests(&self) -> Vec<Forwarded> {
        self.log.lock().unwrap().clone()
    }

    /// Requests that change something in qBittorrent (POSTs other than login and reads).
    pub fn mutating(&self) -> Vec<Forwarded> {
        const READS: [&str; 6] = [
            "/api/v2/auth/login",
            "/api/v2/torrents/info",
            "/api/v2/torrents/files",
            "/api/v2/torrents/trackers",
            "/api/v2/app/version",
            "/api/v2/app/webapiVersion",
        ];
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !READS.contains(&r.path.as_str()))
            .collect()
    }
}
