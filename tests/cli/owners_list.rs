// tests/cli/owners_list.rs — handles inside heap blocks (tests/cli/owners_facts.py): an
// Option<Box<Node>> linked list of three nodes and a tree of three Boxes; each block is
// typed by the Box that holds it, wherever that Box lies.
struct Node { value: i32, next: Option<Box<Node>> }
struct Tree { key: i32, left: Option<Box<Tree>>, right: Option<Box<Tree>> }
fn leaf(key: i32) -> Option<Box<Tree>> { Some(Box::new(Tree { key, left: None, right: None })) }
fn main() {
    let mut list: Option<Box<Node>> = None;
    for i in 1..4 { list = Some(Box::new(Node { value: i, next: list })); }
    let tree = Box::new(Tree { key: 2, left: leaf(1), right: leaf(3) });
    let mut total = 0;
    let mut cur = &list;
    while let Some(n) = cur { total += n.value; cur = &n.next; }
    println!("{} {}", total, tree.key); // facts
}
