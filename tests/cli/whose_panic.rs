// tests/cli/whose_panic.rs — a panic with a live Vec in the function it unwinds. With
// RUST_BACKTRACE=1 std captures and prints a backtrace: none of its blocks are the program's.
fn pick(i: usize) -> i32 {
    let scores = vec![10, 20, 30];
    scores[i]
}

fn main() {
    let name = String::from("kept");
    let x = pick(5);
    println!("{} {}", name, x);
}
