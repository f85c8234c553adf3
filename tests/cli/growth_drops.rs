// tests/cli/growth_drops.rs — a HashMap growing (its table replaced by a bigger one: no drop
// of m) and values reassigned (a real drop each), for tests/cli/growth_facts.py.
use std::collections::HashMap;

struct Bag {
    items: Vec<i32>,
}

fn replace(r: &mut String) {
    *r = String::from("replaced");
}

impl Bag {
    fn reset(&mut self) {
        self.items = vec![0; 5];
    }
}

fn main() {
    let mut m = HashMap::new();
    for i in 0..8 {
        m.insert(i, i * 10);
    }
    m = HashMap::with_capacity(20);
    m.insert(1, 1);
    let mut v = vec![1, 2];
    v = vec![3, 4, 5];
    let mut bag = Bag { items: vec![1] };
    bag.reset();
    let mut name = String::from("first");
    replace(&mut name);
    println!("{} {} {} {}", m.len(), v.len(), bag.items.len(), name);
}
