// tests/cli/rust_std_pytutor.rs — Rust containers without Strings, for rust_std_facts.py:
// their blocks in the --pytutor export (elements by address, as memory holds them).
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;
trait Shape { fn area(&self) -> f64; }
struct Rect { w: i32, h: i32 }
impl Shape for Rect { fn area(&self) -> f64 { (self.w * self.h) as f64 } }
fn main() {
    let shared = Rc::new(RefCell::new(vec![1, 2, 3]));
    let other = Rc::clone(&shared);
    let b: Box<dyn Shape> = Box::new(Rect { w: 3, h: 4 });
    let s: Box<[i32]> = vec![10, 20, 30].into_boxed_slice();
    let mut m: HashMap<i32, i64> = HashMap::new();
    m.insert(1, 10);
    m.insert(2, 20);
    let mut d: VecDeque<i32> = VecDeque::with_capacity(4);
    d.push_back(1);
    d.push_front(0);
    let mut t = BTreeMap::new();
    t.insert(2, 1.5);
    t.insert(1, 2.5);
    println!("{} {} {} {} {} {}", other.borrow().len(), b.area(), s.len(), m.len(), d.len(), t.len());
}
