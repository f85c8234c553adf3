// tests/cli/owners_back.rs — a value moved into a function that gives the same box back:
// `root = insert(root, k)` returns the root it was given once the tree has one, so `root`
// gets the very bits it had; it owns the tree again, and the tree is dropped by its paths.
struct Node {
    key: i32,
    left: Option<Box<Node>>,
    right: Option<Box<Node>>,
}

fn insert(t: Option<Box<Node>>, key: i32) -> Option<Box<Node>> {
    match t {
        None => Some(Box::new(Node { key, left: None, right: None })),
        Some(mut n) => {
            if key < n.key {
                n.left = insert(n.left.take(), key);
            } else {
                n.right = insert(n.right.take(), key);
            }
            Some(n)
        }
    }
}

fn main() {
    let mut root = None;
    for k in [5, 3, 8] {
        root = insert(root, k);
    }
    let n = root.as_ref().map(|r| r.key).unwrap_or(0); // facts
    println!("{}", n);
}
