//! A terminal for end-to-end runs of the real binary: its own tmux server, keys sent as a
//! person types them (counted), the screen read back.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
    pub session: String,
    /// Keys sent so far.
    pub sent: Cell<usize>,
}

impl Tmux {
    /// A tmux server of its own (`-L SOCKET`), killed when the value is dropped.
    pub fn new(socket: String, session: &str) -> Tmux {
        Tmux {
            socket,
            session: session.into(),
            sent: Cell::new(0),
        }
    }

    /// Types text as it is (`send-keys -l`).
    pub fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", &self.session, "-l", text]);
        sleep(Duration::from_millis(30));
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn capture(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        self.sent.set(self.sent.get() + keys.len());
        for key in keys {
            self.run(&["send-keys", "-t", &self.session, key]);
            // Esc followed at once by a key reads as alt+key: leave a gap, as a person does.
            sleep(Duration::from_millis(if *key == "Escape" {
                150
            } else {
                30
            }));
        }
    }

    /// Waits until the screen shows `what`; panics with the screen after 10 seconds.
    pub fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("the screen never showed {what:?}; it shows:\n{screen}");
            }
            sleep(Duration::from_millis(50));
        }
    }

    pub fn alive(&self) -> bool {
        self.run(&["has-session", "-t", &self.session])
            .status
            .success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
