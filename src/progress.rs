//! Progress of a hierarchy run on the terminal: each order's size and predicted cost before it starts, then a
//! spinner with the order, the solve, the interior-point iteration, the gap and the order's elapsed time, on stderr,
//! only when stderr is a terminal and not asked to be quiet ([`TerminalProgress`]).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::relax::cost::format_seconds;
use crate::relax::events::Event;

/// Renders [`Event`]s on stderr: pass [`TerminalProgress::handle`] to [`crate::fit::fit`] (or
/// [`crate::fit::solve_pop`]) through a closure. Draws nothing when quiet or when stderr is not a terminal.
pub struct TerminalProgress {
    enabled: bool,
    spinner: Option<ProgressBar>,
}

impl TerminalProgress {
    /// A renderer that draws when stderr is a terminal and `quiet` is false.
    pub fn new(quiet: bool) -> TerminalProgress {
        TerminalProgress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            spinner: None,
        }
    }

    /// Whether anything is drawn.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Draw one event. The spinner of an order is cleared when the order is done, so that what the caller
    /// prints next (on stdout or stderr) starts on a clean line.
    pub fn handle(&mut self, event: &Event) {
        if !self.enabled {
            return;
        }
        match event {
            Event::OrderStart {
                size,
                remaining_seconds,
            } => {
                self.clear();
                let left = remaining_seconds
                    .map(|s| format!("; {} of the time limit left", format_seconds(s)))
                    .unwrap_or_default();
                eprintln!("{}{left}", size.describe());
                let spinner = ProgressBar::new_spinner();
                spinner.set_style(
                    ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                spinner.set_message(format!("order {}: building the relaxation", size.order));
                spinner.enable_steady_tick(Duration::from_millis(200));
                self.spinner = Some(spinner);
            }
            Event::Iteration { order, solve, info } => {
                if let Some(s) = &self.spinner {
                    s.set_message(format!(
                        "order {order}, {}: iteration {}, gap {:.1e}",
                        solve.name(),
                        info.iteration,
                        info.relative_gap,
                    ));
                }
            }
            Event::OrderDone(_) => self.clear(),
            Event::Stopped(why) => {
                self.clear();
                eprintln!("stopping: {why}");
            }
        }
    }

    fn clear(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.clear();
    }
}
