// The static region in Rust (issue 10): a `static mut` counter bumped by a function, a
// static array and a static &str.
static GREETING: &str = "hello";
static mut COUNTER: i32 = 0;
static LIMITS: [i32; 3] = [1, 2, 3];

fn bump() -> i32 {
    unsafe {
        COUNTER += 1;
        COUNTER
    }
}

fn main() {
    let a = bump();
    let b = bump();
    println!("{} {} {} {}", GREETING, a, b, LIMITS[1]);
}
