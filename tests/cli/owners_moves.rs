// tests/cli/owners_moves.rs — moves into containers (tests/cli/owners_facts.py): after each
// of v.push(s), Box::new(t), vec![u], `let y = x` and a shadowing `let z = z + "ed"` (the
// block grown in place, two variables named z) the moved-from handle is stale and the new
// holder owns the block; the drops at the end are named by the owners.
fn main() {
    let mut v: Vec<String> = Vec::new();
    let s = String::from("pushed");
    v.push(s);
    let t = String::from("boxed");
    let b = Box::new(t);
    let u = String::from("listed");
    let w = vec![u];
    let x = String::from("kept");
    let y = x;
    let z = String::from("shadow");
    let z = z + "ed";
    println!("{} {} {} {} {}", v.len(), b, w.len(), y, z); // facts
}
