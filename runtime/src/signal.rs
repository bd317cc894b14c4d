//! Waiting for the operator to ask a process to stop.

/// Returns when the process receives SIGINT (Ctrl-C) or, on Unix, SIGTERM
/// (what service managers send); Ctrl-C alone where SIGTERM cannot be
/// listened to.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
