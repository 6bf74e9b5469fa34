//! What to do about a failed connection, in words: the mistakes a user makes when
//! writing a URL into the config (http for https and back, a missing or wrong URL
//! base, a self-signed certificate, a section pointed at the wrong kind of Arr),
//! recognised from the error the client got. Pure; `check` prints it beside the error.

use crate::http::HttpError;
use crate::model::ArrKind;

/// Which upstream a URL is for, to name its settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upstream {
    Qbittorrent,
    Arr(ArrKind),
}

/// Advice for `err`, got from the upstream at `url` configured in `[section]` (`key`
/// names the URL's key there: Host or URI); None when the error says nothing more
/// than itself.
pub(crate) fn for_error(
    upstream: Upstream,
    section: &str,
    key: &str,
    url: &str,
    err: &HttpError,
) -> Option<String> {
    let https = url.trim_start().to_ascii_lowercase().starts_with("https://");
    let app = match upstream {
        Upstream::Qbittorrent => "qBittorrent",
        Upstream::Arr(kind) => kind.name(),
    };
    match err {
        HttpError::Unreachable { detail, .. } => {
            let d = detail.to_ascii_lowercase();
            if https && (d.contains("invalidcontenttype") || d.contains("corrupt message")) {
                return Some(format!(
                    "{url} answers plain HTTP, not HTTPS: write http:// in [{section}] {key}"
                ));
            }
            if https && d.contains("timeout") && d.contains("connect") {
                // A plain-HTTP server that waits for a request line while we wait for TLS.
                return Some(format!(
                    "{url} completed no TLS handshake; if it speaks plain HTTP, write http:// in \
                     [{section}] {key}"
                ));
            }
            if https && (d.contains("certificate") || d.contains("unknownissuer")) {
                return Some(format!(
                    "the certificate of {url} is not trusted (self-signed, or issued for another name): \
                     fix the certificate, or set SkipTLSVerify = true in [{section}]"
                ));
            }
            if !https && (d.contains("reset") || d.contains("closed") || d.contains("eof")) {
                return Some(format!(
                    "{url} cut the connection without an answer; if it speaks HTTPS on this port, \
                     write https:// in [{section}] {key}"
                ));
            }
            if d.contains("refused") {
                return Some(format!(
                    "nothing listens at {url}: is {app} running, and is the port in [{section}] {key} right?"
                ));
            }
            None
        }
        HttpError::Status {
            status: 400, body, ..
        } if !https && body.to_ascii_lowercase().contains("https") => Some(format!(
            "{url} expects HTTPS: write https:// in [{section}] {key}"
        )),
        HttpError::Status { status: 404, .. } => {
            let base = app.to_ascii_lowercase();
            let root = url.trim_end_matches('/');
            Some(format!(
                "{app} does not answer at {url}: if it runs under a URL base (its Settings → General → \
                 URL Base, e.g. /{base}), add it to [{section}] {key}, as in {root}/{base}; if {key} has one, \
                 check it"
            ))
        }
        HttpError::Decode { .. } => Some(format!(
            "{url} answered, but not as {app}'s API does: is [{section}] {key} the address of {app} \
             (and not of a reverse proxy's login page or another service)?"
        )),
        _ => None,
    }
}

/// A failure as `check` and `init` print it: the error's first line (a body can be a whole
/// HTML page), and on the next line what to do, when [`for_error`] can tell.
pub(crate) fn described(upstream: Upstream, section: &str, key: &str, url: &str, e: &HttpError) -> String {
    let text = e.to_string();
    let mut said = text.lines().next().unwrap_or("").to_string();
    if let Some(advice) = for_error(upstream, section, key, url, e) {
        said.push_str("\n  → ");
        said.push_str(&advice);
    }
    said
}

/// When `[section]` (a `kind` section) reaches an Arr whose `system/status` says
/// `app_name`: None when it is that kind, else what is wrong.
pub(crate) fn wrong_kind(section: &str, kind: ArrKind, app_name: &str) -> Option<String> {
    if app_name.eq_ignore_ascii_case(kind.name()) {
        return None;
    }
    let it = if app_name.trim().is_empty() {
        "an application that does not say its name".to_string()
    } else {
        format!("a {app_name}")
    };
    Some(format!(
        "[{section}] is a {} section, but its URI reaches {it}: point URI at the {} (or name the \
         section after what it is, e.g. {app_name}-…)",
        kind.name(),
        kind.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable(detail: &str) -> HttpError {
        HttpError::Unreachable {
            endpoint: "e".into(),
            detail: detail.into(),
            source: None,
        }
    }

    fn status(status: u16, body: &str) -> HttpError {
        HttpError::Status {
            endpoint: "e".into(),
            status,
            body: body.into(),
            retry_after: None,
        }
    }

    #[test]
    fn each_url_mistake_gets_its_words() {
        let radarr = Upstream::Arr(ArrKind::Radarr);
        let advise = |url: &str, err: HttpError| for_error(radarr, "Radarr-1080", "URI", url, &err);
        // What the client says, as observed against real servers.
        let https_on_http = advise(
            "https://nas:7878",
            unreachable("io: received corrupt message of type InvalidContentType"),
        )
        .unwrap();
        assert!(
            https_on_http.contains("write http:// in [Radarr-1080] URI"),
            "{https_on_http}"
        );
        let waiting = advise("https://nas:7878", unreachable("timeout: connect")).unwrap();
        assert!(
            waiting.contains("write http:// in [Radarr-1080] URI"),
            "{waiting}"
        );
        let http_on_https = advise(
            "http://nas:7878",
            unreachable("io: Connection reset by peer (os error 104)"),
        )
        .unwrap();
        assert!(http_on_https.contains("write https://"), "{http_on_https}");
        let nginx = advise(
            "http://nas:443",
            status(400, "The plain HTTP request was sent to HTTPS port"),
        )
        .unwrap();
        assert!(nginx.contains("expects HTTPS"), "{nginx}");
        let self_signed = advise(
            "https://nas:9898",
            unreachable("io: invalid peer certificate: UnknownIssuer"),
        )
        .unwrap();
        assert!(
            self_signed.contains("SkipTLSVerify = true in [Radarr-1080]"),
            "{self_signed}"
        );
        let base = advise("http://nas:7878", status(404, "<html>")).unwrap();
        assert!(
            base.contains("URL Base") && base.contains("http://nas:7878/radarr"),
            "{base}"
        );
        let refused = advise(
            "http://nas:7878",
            unreachable("io: Connection refused (os error 111)"),
        )
        .unwrap();
        assert!(refused.contains("is Radarr running"), "{refused}");
        assert_eq!(advise("http://nas:7878", status(500, "database is locked")), None);
        let q = for_error(
            Upstream::Qbittorrent,
            "qBit",
            "Host",
            "http://nas:8080",
            &status(404, ""),
        )
        .unwrap();
        assert!(
            q.contains("qBittorrent does not answer") && q.contains("[qBit] Host"),
            "{q}"
        );
    }

    #[test]
    fn a_section_pointed_at_another_kind_of_arr_is_named() {
        assert_eq!(wrong_kind("Radarr-1080", ArrKind::Radarr, "Radarr"), None);
        assert_eq!(wrong_kind("Radarr-1080", ArrKind::Radarr, "radarr"), None);
        let wrong = wrong_kind("Radarr-1080", ArrKind::Radarr, "Sonarr").unwrap();
        assert!(
            wrong.contains("[Radarr-1080] is a Radarr section, but its URI reaches a Sonarr"),
            "{wrong}"
        );
        assert!(wrong_kind("Sonarr", ArrKind::Sonarr, "")
            .unwrap()
            .contains("does not say its name"));
    }
}
