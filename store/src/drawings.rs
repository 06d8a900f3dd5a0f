//! The drawings of the graphs that pages show (`/p/{id}`, `/v/{id}`, `/s/{token}`), laid out
//! on the engine pool ([`EnginePool::request`]) and kept by structure.
//!
//! The layout of a big graph is slow (seconds for thousands of nodes) and cannot be stopped
//! once started, so a request that gives up at its budget leaves the work running on its
//! engine slot. Without a cache every reload of such a page would start another layout and a
//! few reloads would hold every slot. Here one layout runs per structure at a time: requests
//! for a structure being laid out wait for that layout (within their own budget), and the
//! finished drawing is kept, also when the request that started it gave up, so the next
//! request gets it at once. Drawings depend on the structure only (nodes, operands, names,
//! texts, the answer; never values), so a variant that only changed inputs shares its
//! problem's drawing. The cache holds at most [`MAX_CACHED_NODES`] nodes in all, dropping the
//! least recently used drawings first.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use engine::Graph;
use tokio::sync::watch;

use super::{EngineError, EnginePool};
use types::model::{structure_key, Drawing};

/// The most nodes the kept drawings hold together (ten of the biggest graphs).
pub const MAX_CACHED_NODES: usize = 10 * engine::limits::MAX_NODES;

/// What [`Drawings`] says the work is, in errors.
const WHAT: &str = "laying out the graph";

/// A drawing's key: [`structure_key`] and a hash of the nodes' texts (shown in the drawing).
type Key = Vec<u64>;

fn key(graph: &Graph) -> Key {
    let mut key = structure_key(graph);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for id in graph.ids() {
        graph.node(id).text.hash(&mut h);
    }
    key.push(h.finish());
    key
}

enum Entry {
    /// Laid out; `used` orders evictions.
    Ready { drawing: Arc<Drawing>, used: u64 },
    /// Being laid out: the drawing arrives on the channel (closed without one when the work
    /// never started or panicked).
    Pending(watch::Receiver<Option<Arc<Drawing>>>),
}

struct Inner {
    entries: HashMap<Key, Entry>,
    /// Nodes in the ready drawings.
    nodes: usize,
    capacity: usize,
    clock: u64,
}

/// The kept drawings (cheap to clone; clones share them).
#[derive(Clone)]
pub struct Drawings {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Drawings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Drawings")
            .field("entries", &inner.entries.len())
            .field("nodes", &inner.nodes)
            .field("capacity", &inner.capacity)
            .finish()
    }
}

impl Default for Drawings {
    fn default() -> Self {
        Drawings::with_capacity(MAX_CACHED_NODES)
    }
}

impl Drawings {
    /// An empty cache that keeps drawings of at most `nodes` nodes in all (at least the last
    /// one finished).
    pub fn with_capacity(nodes: usize) -> Self {
        Drawings {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
                nodes: 0,
                capacity: nodes,
                clock: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The drawing of `graph`, kept or laid out on an engine slot of `engine` within its
    /// request budget (the wait for a layout another request started counts against it).
    /// Past the budget the layout goes on and is kept for the next request.
    pub async fn draw(
        &self,
        engine: &EnginePool,
        graph: &Graph,
    ) -> Result<Arc<Drawing>, EngineError> {
        let started = Instant::now();
        let budget = engine.request_budget();
        let key = key(graph);
        let (mut rx, tx) = {
            let mut inner = self.lock();
            inner.clock += 1;
            let now = inner.clock;
            match inner.entries.get_mut(&key) {
                Some(Entry::Ready { drawing, used }) => {
                    *used = now;
                    return Ok(drawing.clone());
                }
                Some(Entry::Pending(rx)) => (rx.clone(), None),
                None => {
                    let (tx, rx) = watch::channel(None);
                    inner
                        .entries
                        .insert(key.clone(), Entry::Pending(rx.clone()));
                    (rx, Some(tx))
                }
            }
        };
        if let Some(tx) = tx {
            let (this, g, k) = (self.clone(), graph.clone(), key.clone());
            let laid_out = engine
                .request(WHAT, move || {
                    let drawing = Arc::new(Drawing::new(&g));
                    this.keep(k, drawing.clone());
                    // Nobody may be waiting any more.
                    let _ = tx.send(Some(drawing.clone()));
                    drawing
                })
                .await;
            if let Err(e) = &laid_out {
                // Timed out: the layout goes on and is kept. Busy or panicked: no drawing is
                // coming; the next request starts again.
                if !matches!(e, EngineError::TimedOut { .. }) {
                    self.forget(&key, &rx);
                }
            }
            return laid_out;
        }
        let left = budget.saturating_sub(started.elapsed());
        let waited = {
            let wait = rx.wait_for(Option::is_some);
            match tokio::time::timeout(left, wait).await {
                Ok(Ok(drawing)) => Ok(drawing.clone()),
                Ok(Err(_)) => Err(false),
                Err(_) => Err(true),
            }
        };
        match waited {
            Ok(Some(drawing)) => Ok(drawing),
            Err(true) => Err(EngineError::TimedOut {
                what: WHAT.into(),
                budget,
                job: false,
            }),
            // Closed without a drawing: the layout never started or panicked.
            Ok(None) | Err(false) => {
                self.forget(&key, &rx);
                Err(EngineError::Panicked {
                    what: WHAT.into(),
                    message: "the layout another request started stopped without a drawing".into(),
                })
            }
        }
    }

    /// Keeps a finished drawing, dropping the least recently used ones past the capacity.
    fn keep(&self, key: Key, drawing: Arc<Drawing>) {
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        inner.nodes += drawing.nodes.len();
        let old = inner.entries.insert(key, Entry::Ready { drawing, used });
        if let Some(Entry::Ready { drawing, .. }) = old {
            inner.nodes -= drawing.nodes.len();
        }
        while inner.nodes > inner.capacity {
            let oldest = inner
                .entries
                .iter()
                .filter_map(|(k, e)| match e {
                    Entry::Ready { used: u, .. } if *u != used => Some((*u, k)),
                    _ => None,
                })
                .min_by_key(|(u, _)| *u)
                .map(|(_, k)| k.clone());
            let Some(k) = oldest else { break };
            if let Some(Entry::Ready { drawing, .. }) = inner.entries.remove(&k) {
                inner.nodes -= drawing.nodes.len();
            }
        }
    }

    /// Drops the pending entry of `key` when it is still the one `rx` waits on.
    fn forget(&self, key: &Key, rx: &watch::Receiver<Option<Arc<Drawing>>>) {
        let mut inner = self.lock();
        if matches!(inner.entries.get(key), Some(Entry::Pending(p)) if p.same_channel(rx)) {
            inner.entries.remove(key);
        }
    }

    /// How many drawings are kept, and their nodes in all.
    pub fn kept(&self) -> (usize, usize) {
        let inner = self.lock();
        let ready = inner
            .entries
            .values()
            .filter(|e| matches!(e, Entry::Ready { .. }))
            .count();
        (ready, inner.nodes)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use engine::intervene::{apply, Intervention};
    use engine::{BinOp, Expr, GraphBuilder, NodeId, Number};

    use super::*;

    /// A chain of `n` additions on one input.
    fn chain(n: usize) -> Graph {
        let mut b = GraphBuilder::new(None);
        let mut last = b.input("x0", Number::int(1), None);
        for i in 1..=n {
            let e = Expr::bin(BinOp::Add, Expr::Arg(0), Expr::Lit(Number::int(1)));
            last = b.step(&format!("x{i}"), e, vec![last]).unwrap();
        }
        b.build(last).unwrap()
    }

    #[tokio::test]
    async fn a_layout_past_its_budget_is_kept_and_shared() {
        // Large enough that its layout outlasts the two 1 ms budgets below even when a busy
        // machine wakes their timers late (a 2,000-node chain was once laid out before the
        // second request, which then found the drawing kept).
        let g = chain(9_000);
        let slow = EnginePool::new(2, Duration::from_millis(1), Duration::from_secs(60));
        let drawings = Drawings::default();
        // The first request gives up at 1 ms; a second one for the same structure waits for
        // the same layout (and gives up too) instead of starting another.
        let first = drawings.draw(&slow, &g).await.unwrap_err();
        assert!(matches!(first, EngineError::TimedOut { .. }), "{first}");
        let second = drawings.draw(&slow, &g).await.unwrap_err();
        assert!(matches!(second, EngineError::TimedOut { .. }), "{second}");
        // The layout finishes on its slot and is kept: a later request gets it at once.
        let start = Instant::now();
        let drawing = loop {
            match drawings.draw(&slow, &g).await {
                Ok(d) => break d,
                Err(_) => {
                    assert!(start.elapsed() < Duration::from_secs(120), "never kept");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        assert_eq!(drawing.nodes.len(), 9_001);
        assert_eq!(*drawing, Drawing::new(&g), "the kept drawing is the layout");
        assert_eq!(drawings.kept(), (1, 9_001));
        // A new input value is the same structure: the same drawing.
        let mut v = g.clone();
        apply(
            &mut v,
            &Intervention::SetInput {
                node: NodeId(0),
                value: Number::int(5),
            },
        )
        .unwrap();
        let same = drawings.draw(&slow, &v).await.unwrap();
        assert!(Arc::ptr_eq(&same, &drawing));
    }

    #[tokio::test]
    async fn the_least_recently_used_drawings_go_first() {
        let pool = EnginePool::new(2, Duration::from_secs(60), Duration::from_secs(60));
        let drawings = Drawings::with_capacity(25);
        let (a, b, c) = (chain(9), chain(10), chain(11));
        drawings.draw(&pool, &a).await.unwrap();
        drawings.draw(&pool, &b).await.unwrap();
        assert_eq!(drawings.kept(), (2, 21));
        // `a` is used again, so `b` is the one dropped when `c` comes.
        let kept_a = drawings.draw(&pool, &a).await.unwrap();
        drawings.draw(&pool, &c).await.unwrap();
        assert_eq!(drawings.kept(), (2, 22));
        assert!(Arc::ptr_eq(
            &kept_a,
            &drawings.draw(&pool, &a).await.unwrap()
        ));
        // A drawing bigger than the capacity is still kept alone.
        drawings.draw(&pool, &chain(40)).await.unwrap();
        assert_eq!(drawings.kept(), (1, 41));
    }
}
