// bench/trace/push.rs — the Rust case of bench/trace/cases.sh: N strings pushed onto a
// Vec (`v.push(i.to_string())`), so the heap grows by one String block per step and the
// Vec's own buffer is reallocated as it grows. N comes from the environment at build time.
fn main() {
    let n: usize = env!("PUSH_N").parse().unwrap();
    let mut v: Vec<String> = Vec::new();
    for i in 0..n {
        v.push(i.to_string());
    }
    std::process::exit(if v.len() == n { 0 } else { 1 });
}
