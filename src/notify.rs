//! systemd's service notifications (sd_notify(3)) without libsystemd: `READY=1` once the
//! workers run, `WATCHDOG=1` while they make progress, `STOPPING=1` at shutdown, each a
//! datagram to the socket in `$NOTIFY_SOCKET` (a path, or `@name` in the abstract
//! namespace). Outside systemd (no `$NOTIFY_SOCKET`) nothing is sent.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use log::{debug, warn};

/// Where notifications go, and how often the watchdog wants to hear from us.
pub(crate) struct Notifier {
    socket: UnixDatagram,
    target: Target,
    /// `$WATCHDOG_USEC`, when the watchdog is on for this process.
    watchdog: Option<Duration>,
}

enum Target {
    Path(std::path::PathBuf),
    #[cfg(target_os = "linux")]
    Abstract(Vec<u8>),
}

impl Notifier {
    /// From systemd's environment; None when not started as a `Type=notify` service.
    pub(crate) fn from_env() -> Option<Notifier> {
        let socket_var = std::env::var_os("NOTIFY_SOCKET")?;
        let raw = socket_var.to_string_lossy().into_owned();
        let target = match raw.strip_prefix('@') {
            #[cfg(target_os = "linux")]
            Some(name) => Target::Abstract(name.as_bytes().to_vec()),
            #[cfg(not(target_os = "linux"))]
            Some(_) => return None,
            None => Target::Path(raw.into()),
        };
        let socket = match UnixDatagram::unbound() {
            Ok(s) => s,
            Err(e) => {
                warn!("NOTIFY_SOCKET is set, but no socket could be made to reach it: {e}");
                return None;
            }
        };
        // The watchdog is for this process only when WATCHDOG_PID (if set) is our pid.
        let ours = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .is_none_or(|pid| pid == std::process::id());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&usec| usec > 0 && ours)
            .map(Duration::from_micros);
        Some(Notifier {
            socket,
            target,
            watchdog,
        })
    }

    /// How often to ping the watchdog (half its timeout, as sd_watchdog_enabled(3) advises).
    pub(crate) fn watchdog_every(&self) -> Option<Duration> {
        self.watchdog.map(|t| t / 2)
    }

    pub(crate) fn ready(&self) {
        self.send("READY=1");
    }

    pub(crate) fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    pub(crate) fn stopping(&self) {
        self.send("STOPPING=1");
    }

    fn send(&self, message: &str) {
        let sent = match &self.target {
            Target::Path(p) => self.socket.send_to(message.as_bytes(), p),
            #[cfg(target_os = "linux")]
            Target::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(name)
                    .and_then(|addr| self.socket.send_to_addr(message.as_bytes(), &addr))
            }
        };
        match sent {
            Ok(_) => debug!("sd_notify: {message}"),
            Err(e) => warn!("sd_notify: {message} could not be sent: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_a_path_socket() {
        let dir = tempfile_dir();
        let path = dir.join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        let n = Notifier {
            socket: UnixDatagram::unbound().unwrap(),
            target: Target::Path(path.clone()),
            watchdog: Some(Duration::from_secs(120)),
        };
        assert_eq!(n.watchdog_every(), Some(Duration::from_secs(60)));
        n.ready();
        n.watchdog();
        n.stopping();
        let mut buf = [0u8; 64];
        for expected in ["READY=1", "WATCHDOG=1", "STOPPING=1"] {
            let len = listener.recv(&mut buf).unwrap();
            assert_eq!(&buf[..len], expected.as_bytes());
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn messages_reach_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("qbitrr-lite-notify-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        let n = Notifier {
            socket: UnixDatagram::unbound().unwrap(),
            target: Target::Abstract(name.into_bytes()),
            watchdog: None,
        };
        assert_eq!(n.watchdog_every(), None);
        n.ready();
        let mut buf = [0u8; 64];
        let len = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1");
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "qbitrr-lite-notify-{}-{}",
            std::process::id(),
            crate::clock::unix_now()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
