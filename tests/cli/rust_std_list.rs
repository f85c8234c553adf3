// tests/cli/rust_std_list.rs — a doubly linked list of Rc<RefCell<Node>> with Weak back links,
// for rust_std_facts.py: each node one RcInner block, next an owning Rc, prev a Weak pointer.
use std::cell::RefCell;
use std::rc::{Rc, Weak};
struct Node {
    val: i32,
    next: Option<Rc<RefCell<Node>>>,
    prev: Option<Weak<RefCell<Node>>>,
}
fn main() {
    let a = Rc::new(RefCell::new(Node { val: 1, next: None, prev: None }));
    let b = Rc::new(RefCell::new(Node { val: 2, next: None, prev: None }));
    a.borrow_mut().next = Some(Rc::clone(&b));
    b.borrow_mut().prev = Some(Rc::downgrade(&a));
    println!("{}", a.borrow().val + b.borrow().val);
}
