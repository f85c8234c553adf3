// tests/cli/learner_box.rs — a learner's Rust ownership: a Box<Point>, a String moved into
// a map by insert, a tuple holding a String, a struct holding a Vec<String>, a Vec<Vec<i32>>,
// a String passed to and returned from a function, an Option<String> set and taken.
use std::collections::HashMap;

struct Point {
    x: i32,
    y: i32,
}

struct Team {
    name: String,
    members: Vec<String>,
}

fn shout(s: String) -> String {
    let mut t = s;
    t.push('!');
    t
}

fn main() {
    let b = Box::new(Point { x: 3, y: 4 });
    let sum = b.x + b.y;
    let mut m = HashMap::new();
    let s = String::from("key");
    m.insert(s, 1);
    let t = (String::from("a"), 5);
    let team = Team { name: String::from("red"), members: vec![String::from("ann"), String::from("bo")] };
    let grid = vec![vec![1, 2], vec![3, 4, 5]];
    let h = String::from("hi");
    let loud = shout(h);
    let mut o: Option<String> = None;
    o = Some(String::from("x"));
    let taken = o.take();
    println!("{} {} {} {} {} {} {:?} {:?}", sum, m.len(), t.1, team.name, team.members.len(), grid.len(), loud, taken); // filled
}
