// tests/cli/rust_std.rs — Rust's containers beyond String, Vec and Box<T>, for
// rust_std_facts.py: their handles and the blocks they hold, at the line marked `facts`.
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::rc::{Rc, Weak};
use std::sync::Arc;

trait Shape {
    fn area(&self) -> f64;
}
struct Circle {
    r: f64,
}
struct Rect {
    w: i32,
    h: i32,
}
impl Shape for Circle {
    fn area(&self) -> f64 {
        3.0 * self.r * self.r
    }
}
impl Shape for Rect {
    fn area(&self) -> f64 {
        (self.w * self.h) as f64
    }
}

mod mine {
    // the user's own type with a std name: decoded as any struct
    pub struct Cell<T> {
        pub x: T,
    }
}

fn main() {
    let shared = Rc::new(RefCell::new(vec![1, 2, 3]));
    let other = Rc::clone(&shared);
    other.borrow_mut().push(4);
    let named = Rc::new(String::from("rc"));
    let weak: Weak<String> = Rc::downgrade(&named);
    let gone: Weak<i32> = Weak::new();
    let first = Rc::new(7u8);
    let second = Rc::clone(&first);
    let third = second; // a move: `second` is moved from
    let dynrc: Rc<dyn Shape> = Rc::new(Rect { w: 5, h: 6 });
    let text: Rc<str> = Rc::from("hey");
    let bytes: Arc<[u8]> = Arc::from(vec![1u8, 2]);
    let count = Cell::new(7);
    let own = mine::Cell { x: 5 };
    let a: Box<dyn Shape> = Box::new(Circle { r: 1.5 });
    let b: Box<dyn Shape> = Box::new(Rect { w: 3, h: 4 });
    let s: Box<[i32]> = vec![10, 20, 30].into_boxed_slice();
    let err: Box<dyn std::error::Error> = "bad".into(); // its vtable is std's
    let unit: Box<dyn std::fmt::Debug> = Box::new(()); // zero-sized: no block
    let mut m: HashMap<String, i32> = HashMap::new();
    m.insert(String::from("one"), 1);
    m.insert(String::from("two"), 2);
    m.insert(String::from("three"), 3);
    let squares: HashMap<u32, u32> = (0..40).map(|i| (i, i * i)).collect();
    let mut hs: HashSet<i32> = HashSet::new();
    hs.insert(5);
    hs.insert(6);
    let mut d: VecDeque<i32> = VecDeque::with_capacity(4);
    d.push_back(1);
    d.push_back(2);
    d.push_back(3);
    d.pop_front();
    d.pop_front();
    d.push_back(4);
    d.push_back(5);
    d.push_front(0);
    let mut tree = BTreeMap::new();
    tree.insert(3, "c");
    tree.insert(1, "a");
    tree.insert(2, "b");
    let mut deep: BTreeMap<u32, u32> = BTreeMap::new();
    for i in 0..40u32 {
        deep.insert((i * 7) % 40, i);
    }
    let mut tset = BTreeSet::new();
    tset.insert(9);
    tset.insert(4);
    let empty: HashMap<i32, i32> = HashMap::new();
    let none: VecDeque<u8> = VecDeque::new();
    let keys: Vec<String> = m.iter().map(|(k, v)| format!("{}={}", k, v)).collect();
    let set: Vec<String> = hs.iter().map(|k| k.to_string()).collect();
    println!("map {}", keys.join(" "));
    println!("set {}", set.join(" "));
    let total = a.area() + b.area() + s.len() as f64 + d.len() as f64 + count.get() as f64; // facts
    println!("{} {} {} {}", total, weak.strong_count(), gone.strong_count(), own.x);
    println!("{} {:?} {}", err, unit, squares.len());
    println!("{} {} {:?} {} {}", dynrc.area(), text, bytes, first, third);
    println!("{} {} {} {} {}", empty.len(), none.len(), tree.len(), deep.len(), tset.len());
}
