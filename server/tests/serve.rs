//! End-to-end test of `graft serve`: the real binary on a free port, fetched over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The running server; killed when dropped, so a failing assertion does not leak it.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `graft serve --addr 127.0.0.1:0` and reads the bound address from its first line.
fn start() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("GRAFT_ADDR")
        .env("LEPTOS_SITE_ROOT", env!("CARGO_TARGET_TMPDIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the graft binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("graft serve prints its address");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Server { child, addr }
}

/// `GET path` as HTTP/1.0 (no chunked encoding; the server closes the connection):
/// the status code and the body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("reads the response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, body.to_string())
}

#[test]
fn serves_the_problem_list_and_a_problem_page() {
    let server = start();

    let (status, list) = get(server.addr, "/");
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("<title>Graft</title>"), "{list}");
    assert_eq!(list.matches("<li class=\"problem\">").count(), 21, "{list}");
    assert!(list.contains("href=\"/p/demo-apples\""), "{list}");
    assert!(list.contains("Maya picks 24 apples on Monday"), "{list}");
    assert!(list.contains("/pkg/graft.js"), "hydration script: {list}");

    let (status, page) = get(server.addr, "/p/demo-apples");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Maya picks 24 apples on Monday"), "{page}");
    assert!(page.contains("<svg"), "{page}");
    // Three operations on the path to the answer, 62, which is drawn as the answer node.
    assert!(page.contains("class=\"node answer\""), "{page}");
    assert!(page.contains(">62<"), "{page}");
    assert!(page.matches("class=\"edge\"").count() >= 4, "{page}");

    let (status, missing) = get(server.addr, "/p/no-such-problem");
    assert_eq!(status, 404, "{missing}");
    assert!(missing.contains("Not found"), "{missing}");
}
