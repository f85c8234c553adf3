// bench/own/bench_own.rs — the workloads of bench_own.c with Rust's std (String, Vec), built
// with `rustc -O` by run.sh. Same sizes, same checksums, same output: "ns_per_op checksum".
//
//     bench_own_rs WORKLOAD [SCALE]     WORKLOAD: vec_push | push_str | extend | clone
use std::hint::black_box;
use std::time::Instant;

const VEC_PUSH_N: f64 = 10_000_000.0;
const PIECES_N: f64 = 10_000_000.0;
const EXTEND_N: f64 = 10_000.0;
const SLICE_LEN: usize = 1000;
const CLONE_N: f64 = 1000.0;
const CLONE_LEN: usize = 1 << 18;

const PIECES: [&str; 8] = ["a", "bc", "def", "ghij", "hello", ", ", "world!", "stack"];

fn fnv(mut h: u64, b: &[u8]) -> u64 {
    for &x in b {
        h = (h ^ x as u64).wrapping_mul(0x100000001b3);
    }
    h
}

fn sum_i32(v: &[i32]) -> u64 {
    let mut s = v.len() as u64;
    for &x in v {
        s = s.wrapping_mul(31).wrapping_add(x as u32 as u64);
    }
    s
}

fn vec_push(n: usize) -> (f64, u64) {
    let n = black_box(n);
    let t0 = Instant::now();
    let mut v: Vec<i32> = Vec::new();
    for i in 0..n {
        v.push(i as i32);
    }
    black_box(v.as_ptr());
    let ns = t0.elapsed().as_nanos() as f64;
    let sum = sum_i32(&v);
    let t1 = Instant::now();
    drop(v);
    (ns + t1.elapsed().as_nanos() as f64, sum)
}

fn push_str(n: usize) -> (f64, u64) {
    let pieces = black_box(PIECES);
    let n = black_box(n);
    let t0 = Instant::now();
    let mut s = String::new();
    for i in 0..n {
        s.push_str(pieces[(i.wrapping_mul(5) + (i >> 3)) & 7]);
    }
    black_box(s.as_ptr());
    let ns = t0.elapsed().as_nanos() as f64;
    let sum = fnv(0xcbf29ce484222325, s.as_bytes()) ^ s.len() as u64;
    let t1 = Instant::now();
    drop(s);
    (ns + t1.elapsed().as_nanos() as f64, sum)
}

fn extend(n: usize) -> (f64, u64) {
    let mut slice = [0i32; SLICE_LEN];
    for (i, x) in slice.iter_mut().enumerate() {
        *x = i as i32 * 7 - 300;
    }
    let slice = black_box(slice);
    let n = black_box(n);
    let t0 = Instant::now();
    let mut v: Vec<i32> = Vec::new();
    for _ in 0..n {
        v.extend_from_slice(&slice);
    }
    black_box(v.as_ptr());
    let ns = t0.elapsed().as_nanos() as f64;
    let sum = sum_i32(&v);
    let t1 = Instant::now();
    drop(v);
    (ns + t1.elapsed().as_nanos() as f64, sum)
}

fn clone(n: usize) -> (f64, u64) {
    let v: Vec<i32> = (0..CLONE_LEN as i32).map(|i| i ^ 0x5a5a).collect();
    let v = black_box(v);
    let n = black_box(n);
    let mut sum: u64 = 0;
    let t0 = Instant::now();
    for i in 0..n {
        let c = v.clone();
        let c = black_box(c);
        sum = sum.wrapping_mul(31).wrapping_add(c[(i * 7919) % CLONE_LEN] as u32 as u64);
    }
    (t0.elapsed().as_nanos() as f64, sum)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: bench_own_rs vec_push|push_str|extend|clone [SCALE]");
        std::process::exit(2);
    }
    let scale: f64 = args.get(2).map_or(1.0, |s| s.parse().unwrap_or(1.0));
    let ops = |n: f64| (n * scale) as usize;
    let (n, (ns, sum)) = match args[1].as_str() {
        "vec_push" => (ops(VEC_PUSH_N), vec_push(ops(VEC_PUSH_N))),
        "push_str" => (ops(PIECES_N), push_str(ops(PIECES_N))),
        "extend" => (ops(EXTEND_N), extend(ops(EXTEND_N))),
        "clone" => (ops(CLONE_N), clone(ops(CLONE_N))),
        w => {
            eprintln!("bench_own_rs: unknown workload {}", w);
            std::process::exit(2);
        }
    };
    println!("{:.3} {:016x}", ns / n as f64, sum);
}
