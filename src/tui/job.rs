//! Long work off the interface thread: one job runs a closure on its own thread, reports its
//! progress, can be asked to stop, and hands back its result. Any command may run as a job;
//! the application polls it on every tick and draws its progress on the status line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use crate::ledger::{LedgerError, Progress};

enum Event<T> {
    Progress(Progress),
    Done(Result<T, LedgerError>),
}

/// What the work sees of its job: where to report progress, and whether to stop.
pub struct Reporter<T> {
    events: Sender<Event<T>>,
    cancel: Arc<AtomicBool>,
}

impl<T> Reporter<T> {
    /// Reports how far the work is; returns false when it was asked to stop.
    pub fn report(&self, progress: Progress) -> bool {
        let _ = self.events.send(Event::Progress(progress));
        !self.cancelled()
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Where a job stands after a poll.
pub enum Poll<T> {
    Running,
    Finished(Result<T, LedgerError>),
}

/// A closure running on its own thread, with its progress and a cancel flag.
pub struct Job<T> {
    what: String,
    events: Receiver<Event<T>>,
    cancel: Arc<AtomicBool>,
    progress: Progress,
    thread: Option<JoinHandle<()>>,
    finished: bool,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread. `what` names it on the status line ("validating …").
    pub fn spawn(
        what: impl Into<String>,
        work: impl FnOnce(&Reporter<T>) -> Result<T, LedgerError> + Send + 'static,
    ) -> Job<T> {
        let (sender, events) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let reporter = Reporter {
            events: sender,
            cancel: Arc::clone(&cancel),
        };
        let thread = std::thread::spawn(move || {
            let result = work(&reporter);
            let _ = reporter.events.send(Event::Done(result));
        });
        Job {
            what: what.into(),
            events,
            cancel,
            progress: Progress { done: 0, total: 0 },
            thread: Some(thread),
            finished: false,
        }
    }
}

impl<T> Job<T> {
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The last progress reported.
    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// Asks the work to stop at its next report.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Takes the news: progress reported since the last poll, or the result once done.
    pub fn poll(&mut self) -> Poll<T> {
        if self.finished {
            return Poll::Finished(Err(LedgerError::Storage(format!(
                "{} already finished",
                self.what
            ))));
        }
        let result = loop {
            match self.events.try_recv() {
                Ok(Event::Progress(progress)) => self.progress = progress,
                Ok(Event::Done(result)) => break result,
                Err(TryRecvError::Empty) => return Poll::Running,
                Err(TryRecvError::Disconnected) => {
                    break Err(LedgerError::Storage(format!("{} stopped", self.what)));
                }
            }
        };
        self.finished = true;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        Poll::Finished(result)
    }

    /// Waits for the result (tests, scripts).
    pub fn wait(&mut self) -> Result<T, LedgerError> {
        loop {
            if let Poll::Finished(result) = self.poll() {
                return result;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    #[test]
    fn a_job_reports_its_progress_and_its_result() {
        let gate = Arc::new(Barrier::new(2));
        let inside = Arc::clone(&gate);
        let mut job = Job::spawn("counting", move |reporter| {
            reporter.report(Progress { done: 1, total: 2 });
            inside.wait();
            reporter.report(Progress { done: 2, total: 2 });
            Ok(42)
        });
        assert_eq!(job.what(), "counting");
        // The first report arrives while the work waits on the gate.
        while job.progress().done == 0 {
            assert!(matches!(job.poll(), Poll::Running));
            std::thread::yield_now();
        }
        assert_eq!(job.progress(), Progress { done: 1, total: 2 });
        gate.wait();
        assert_eq!(job.wait().unwrap(), 42);
        assert_eq!(job.progress(), Progress { done: 2, total: 2 });
    }

    #[test]
    fn a_cancelled_job_stops_at_its_next_report() {
        let gate = Arc::new(Barrier::new(2));
        let inside = Arc::clone(&gate);
        let mut job: Job<usize> = Job::spawn("a long count", move |reporter| {
            inside.wait();
            for done in 0..1_000_000 {
                if !reporter.report(Progress {
                    done,
                    total: 1_000_000,
                }) {
                    return Err(LedgerError::Cancelled);
                }
            }
            Ok(1_000_000)
        });
        job.cancel();
        assert!(job.is_cancelled());
        gate.wait();
        assert!(matches!(job.wait(), Err(LedgerError::Cancelled)));
        assert!(job.progress().done < 10, "{:?}", job.progress());
    }
}
