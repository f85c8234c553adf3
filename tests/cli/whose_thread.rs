// tests/cli/whose_thread.rs — a panic on a spawned thread, caught by join: with
// RUST_BACKTRACE=1 the thread's backtrace allocations are std's, not the program's.
use std::thread;

fn main() {
    let data = vec![1, 2, 3];
    let h = thread::spawn(move || {
        let sum: i32 = data.iter().sum();
        if sum > 5 {
            panic!("sum {} too big", sum);
        }
        sum
    });
    let r = h.join();
    println!("{}", r.is_err());
}
