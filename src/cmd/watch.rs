//! `duijie status --watch`: the run overview, refreshed in place on a
//! terminal until Ctrl-C. Each refresh reads the state store anew, so it
//! shows what a daemon or a run in another process is doing. Written to
//! something that is not a terminal, each refresh follows the last.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use duijie_maplib::Mapper;
use duijie_runtime::config::{format_duration, Config};

/// Moves the cursor to the top left corner.
const HOME: &str = "\x1b[H";
/// Clears the rest of the line.
const CLEAR_LINE: &str = "\x1b[K";
/// Clears from the cursor to the end of the screen.
const CLEAR_BELOW: &str = "\x1b[J";

/// One refresh of `text` as it is written: over the last one on a terminal
/// (each line cleared to its end, then what is left below, so nothing of a
/// longer last frame stays and the screen does not flicker), after it
/// otherwise.
pub fn frame(text: &str, terminal: bool) -> String {
    if !terminal {
        return format!("{text}\n");
    }
    let mut out = String::with_capacity(text.len() + 256);
    out.push_str(HOME);
    for line in text.lines() {
        out.push_str(line);
        out.push_str(CLEAR_LINE);
        out.push('\n');
    }
    out.push_str(CLEAR_BELOW);
    out
}

/// Shows the overview of `only` (or every scheme) every `every` until
/// Ctrl-C. A refresh that fails (the store busy, say) shows the error and
/// the next one tries again.
pub async fn watch(
    config: &Config,
    only: Option<&str>,
    mappers: &[Arc<dyn Mapper>],
    runs: usize,
    every: Duration,
) -> anyhow::Result<i32> {
    let terminal = std::io::stdout().is_terminal();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let body = match super::status::collect(config, only, mappers, runs) {
            Ok(status) => super::status::render(&status),
            Err(e) => format!("error: {e:#}\n"),
        };
        let text = format!(
            "{body}\nrefreshed {} UTC · every {} · Ctrl-C to stop\n",
            Utc::now().format("%H:%M:%S"),
            format_duration(every)
        );
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(frame(&text, terminal).as_bytes())?;
        stdout.flush()?;
        drop(stdout);
        tokio::select! {
            _ = &mut ctrl_c => return Ok(0),
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_frame_overwrites_the_last_one_in_place() {
        let f = frame("运行概况\n  a\n", true);
        assert_eq!(f, "\x1b[H运行概况\x1b[K\n  a\x1b[K\n\x1b[J");
        // Elsewhere, frames follow each other, a blank line between.
        assert_eq!(frame("运行概况\n", false), "运行概况\n\n");
    }
}
