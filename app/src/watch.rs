//! A server action's state as views read it, safe after the action is gone.
//!
//! `Action::pending()` and `Action::value()` panic once the action is disposed, and
//! `pending()` makes a new memo on every call. A view closure can still run after its
//! owner is disposed: the server keeps rendering a request the client has dropped. So a
//! component takes both signals once, when it is built, and reads them with `try_get`.

use leptos::prelude::*;

/// An action's pending flag, latest value and run count, taken once when a component is built.
pub struct Watch<O: 'static> {
    pending: Memo<bool>,
    value: MappedSignal<Option<O>>,
    version: RwSignal<usize>,
}

impl<O: 'static> Clone for Watch<O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O: 'static> Copy for Watch<O> {}

impl<O: Clone + Send + Sync + 'static> Watch<O> {
    /// Watches `action`; call while the component that owns it is being built.
    pub fn new<I: 'static>(action: &Action<I, O>) -> Self {
        Self {
            pending: action.pending(),
            value: action.value(),
            version: action.version(),
        }
    }

    /// Whether the action is running (tracked); false once the action is gone.
    pub fn pending(&self) -> bool {
        self.pending.try_get().unwrap_or(false)
    }

    /// Whether the action is running, without tracking; false once the action is gone.
    pub fn pending_untracked(&self) -> bool {
        self.pending.try_get_untracked().unwrap_or(false)
    }

    /// The action's latest value (tracked); `None` before it first resolves or once it is gone.
    pub fn value(&self) -> Option<O> {
        self.value.try_get().flatten()
    }

    /// How many times the action has completed (tracked); 0 once the action is gone.
    pub fn version(&self) -> usize {
        self.version.try_get().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_reads_false_and_none_after_its_action_is_disposed() {
        let root = Owner::new();
        root.with(|| {
            let component = Owner::new();
            let (action, watch) = component.with(|| {
                let action = Action::new(|n: &u32| {
                    let n = *n;
                    async move { n * 2 }
                });
                (action, Watch::new(&action))
            });
            assert!(!watch.pending_untracked());
            assert_eq!(watch.value(), None);
            assert_eq!(watch.version(), 0);
            component.cleanup();
            // The action is gone: asking it for its pending flag panics.
            let direct =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| action.pending()));
            assert!(direct.is_err(), "the action should be disposed");
            assert!(!watch.pending());
            assert!(!watch.pending_untracked());
            assert_eq!(watch.value(), None);
            assert_eq!(watch.version(), 0);
        });
    }
}
