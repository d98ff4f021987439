//! A caller that finds its aggregate's mailbox idle runs the worker itself, until its own
//! answer comes: a quiet service then pays no hand-off to a worker task and back, which on a
//! fast store costs about as much as the statement.
//!
//! The worker must outlive its caller (a client going away stops no commit, and other
//! commands may be waiting on the same worker), so whatever is left of it when the caller has
//! its answer, or stops waiting, goes on in a task of its own.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs `work` in the caller's task until `answer` comes, then leaves the rest to a task.
pub(super) async fn drive_until<T>(work: Work, answer: oneshot::Receiver<T>) -> Option<T> {
    Driving {
        work: Some(work),
        answer,
    }
    .await
}

struct Driving<T> {
    /// `None` once the work is done or handed to a task.
    work: Option<Work>,
    answer: oneshot::Receiver<T>,
}

impl<T> Future for Driving<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(work) = self.work.as_mut() {
            // A handler that panics must fail its commands, as it would in a task of its own,
            // not take down the caller's task: the work is dropped (its guard passes the
            // commands still waiting to a new worker) and its commands are told it stopped.
            let polled = panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx)));
            if !matches!(polled, Ok(Poll::Pending)) {
                self.work = None;
            }
        }
        match Pin::new(&mut self.answer).poll(cx) {
            Poll::Ready(answer) => {
                self.detach();
                Poll::Ready(answer.ok())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Driving<T> {
    fn detach(&mut self) {
        if let Some(work) = self.work.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(work);
                }
                // No runtime to go on in: dropping the work lets its guard hand the commands
                // still waiting to a new worker when one can start.
                Err(_) => drop(work),
            }
        }
    }
}

impl<T> Drop for Driving<T> {
    fn drop(&mut self) {
        self.detach();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::{Notify, oneshot};

    use super::drive_until;

    #[tokio::test]
    async fn the_caller_gets_its_answer_and_the_rest_goes_on_without_it() {
        let (reply, answer) = oneshot::channel();
        let (done, finished) = oneshot::channel();
        let more = Arc::new(Notify::new());
        let work = {
            let more = Arc::clone(&more);
            async move {
                let _ = reply.send(7);
                more.notified().await;
                let _ = done.send(());
            }
        };
        assert_eq!(drive_until(Box::pin(work), answer).await, Some(7));
        more.notify_one();
        tokio::time::timeout(Duration::from_secs(5), finished)
            .await
            .expect("the rest of the work ran in a task")
            .expect("and finished");
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_does_not_stop_the_work() {
        let (reply, answer) = oneshot::channel::<u32>();
        let (done, finished) = oneshot::channel();
        let go_on = Arc::new(Notify::new());
        let work = {
            let go_on = Arc::clone(&go_on);
            async move {
                go_on.notified().await;
                let _ = reply.send(1);
                let _ = done.send(());
            }
        };
        let driving = drive_until(Box::pin(work), answer);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), driving)
                .await
                .is_err(),
            "nothing answers before the work goes on"
        );
        go_on.notify_one();
        tokio::time::timeout(Duration::from_secs(5), finished)
            .await
            .expect("the work went on in a task after its caller left")
            .expect("and finished");
    }

    #[tokio::test]
    async fn work_that_panics_fails_the_answer_not_the_caller() {
        let (reply, answer) = oneshot::channel::<u32>();
        let work = async move {
            let _reply = reply;
            panic!("a handler with a bug");
        };
        assert_eq!(drive_until(Box::pin(work), answer).await, None);
    }
}
