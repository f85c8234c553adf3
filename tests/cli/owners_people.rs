// tests/cli/owners_people.rs — owners inside containers (tests/cli/owners_facts.py): a
// Vec<String> filled by a loop pushing format! strings (each `s` moved into v[i]), and a
// struct with a String field moved into a Box (p.name is then moved-from, b.name owns).
struct Person { name: String, age: u32 }
fn main() {
    let mut v: Vec<String> = Vec::new();
    for i in 0..3 { let s = format!("item{}", i); v.push(s); }
    let p = Person { name: String::from("Ann"), age: 30 };
    let b = Box::new(p);
    println!("{} {}", v.len(), b.age); // facts
}
