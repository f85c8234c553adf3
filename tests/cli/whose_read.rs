// tests/cli/whose_read.rs — Strings and a Vec filled inside std (read_line, lines,
// read_to_end) for variables of the program's: its blocks, drawn and not stale.
use std::io::{self, BufRead, Read};

fn main() {
    let stdin = io::stdin();
    let mut line = String::new();
    stdin.lock().read_line(&mut line).unwrap();
    let name = line.trim().to_string();
    let words: Vec<String> = stdin.lock().lines().take(2).map(|l| l.unwrap()).collect();
    let mut rest = Vec::new();
    stdin.lock().read_to_end(&mut rest).unwrap();
    println!("{} {} {:?} {}", line.len(), name, words, rest.len());
}
