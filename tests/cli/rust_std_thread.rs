// tests/cli/rust_std_thread.rs — an Arc cloned into a thread, for rust_std_facts.py: the
// block the handles share, its strong count before the thread and after its join.
use std::sync::Arc;
use std::thread;
fn main() {
    let data = Arc::new(vec![1, 2, 3]);
    let mine = Arc::clone(&data);
    let h = thread::spawn(move || {
        let n = mine.len();
        n * 2
    });
    let r = h.join().unwrap();
    println!("{} {}", r, data.len());
}
