// add.rs -- the lesson's stack frames: main calls add, add returns.
fn main() {
    let x = 5;
    let y = 10;
    let sum = add(x, y);
    println!("sum = {}", sum);
}

fn add(a: i32, b: i32) -> i32 {
    let result = a + b;
    result
}
