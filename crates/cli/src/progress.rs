//! Progress bars on a terminal; nothing when output is redirected (indicatif hides them).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting `unit`s towards `total`, or a spinner when the total is unknown.
pub fn bar(total: Option<u64>, message: &str, bytes: bool) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::new_spinner(),
    };
    let template = match (total.is_some(), bytes) {
        (true, true) => "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        (true, false) => "{msg} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
        (false, _) => "{spinner} {msg} {human_pos}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.to_owned());
    bar
}
