//! Work shared among threads, as `graft generate` shares it: each thread takes the next item
//! until none is left. Threads start per call, so each starts with the engine's memos empty.

/// The sum of `work` over `items`, the items shared among `threads` threads.
pub fn on_threads<T: Sync>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> usize + Sync,
) -> usize {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || {
        let mut sum = 0usize;
        while let Some(item) = items.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            sum += work(item);
        }
        sum
    };
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
        workers
            .into_iter()
            .map(|h| h.join().expect("a worker"))
            .sum()
    })
}
