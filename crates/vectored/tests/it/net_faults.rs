//! Network faults: a TCP peer that resets the connection mid-transfer, and a link that goes
//! down mid-transfer (a veth pair between two network namespaces of our own).

use std::io::{self, IoSlice, Read};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use vectored::FdOptions;

use crate::support::{child_args, skip, test_name, Facility};

/// CPU time (user + system) this process has used.
fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap(),
        u32::try_from(t.tv_nsec).unwrap(),
    )
}

#[test]
fn peer_reset_mid_transfer_is_an_error_with_the_count() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    let received = 256 * 1024;
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; received];
        server.read_exact(&mut buf).unwrap();
        // SO_LINGER 0: close sends RST instead of FIN, discarding what is queued.
        rustix::net::sockopt::set_socket_linger(&server, Some(Duration::ZERO)).unwrap();
        drop(server);
    });
    let data: Vec<Vec<u8>> = (0..4096u32)
        .map(|i| vec![(i % 251).to_le_bytes()[0]; 16 * 1024])
        .collect();
    let bufs: Vec<IoSlice<'_>> = data.iter().map(|d| IoSlice::new(d)).collect();
    let err = vectored::write_all_fd(&client, &bufs, &FdOptions::new()).unwrap_err();
    reader.join().unwrap();
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{err}"
    );
    // What the peer read was committed; the rest of the 64 MiB was not.
    assert!(err.transferred() >= received, "{err}");
    assert!(err.transferred() < 64 << 20, "{err}");
}

const CHILD: &str = "VECTORED_DEAD_LINK_CHILD";

/// Runs `ip` with `args`; `Err` with its output when it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Two network namespaces joined by a veth pair; removed on drop.
struct Netns {
    a: String,
    b: String,
}

impl Netns {
    fn create() -> Result<Self, String> {
        let id = std::process::id();
        let net = Self {
            a: format!("vectored-a-{id}"),
            b: format!("vectored-b-{id}"),
        };
        ip(&["netns", "add", &net.a])?;
        ip(&["netns", "add", &net.b])?;
        ip(&[
            "-n", &net.a, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns",
            &net.b,
        ])?;
        ip(&["-n", &net.a, "addr", "add", "10.199.0.1/30", "dev", "va"])?;
        ip(&["-n", &net.b, "addr", "add", "10.199.0.2/30", "dev", "vb"])?;
        for (ns, dev) in [
            (&net.a, "va"),
            (&net.b, "vb"),
            (&net.a, "lo"),
            (&net.b, "lo"),
        ] {
            ip(&["-n", ns, "link", "set", dev, "up"])?;
        }
        Ok(net)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.a]);
        let _ = ip(&["netns", "del", &self.b]);
    }
}

/// In namespace B: accept one connection and read what arrives until killed.
#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_dead_link_server() {
    if std::env::var(CHILD).as_deref() != Ok("server") {
        return;
    }
    let listener = TcpListener::bind("10.199.0.2:7777").unwrap();
    println!("ready");
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
}

/// In namespace A: write 1 GiB with a 2 s deadline to the server; the parent takes the link
/// down midway. Prints the error, the count and the CPU fraction during the stall.
#[test]
#[ignore = "child-process helper: its parent test runs it"]
fn child_dead_link_client() {
    if std::env::var(CHILD).as_deref() != Ok("client") {
        return;
    }
    let stream = TcpStream::connect("10.199.0.2:7777").unwrap();
    stream.set_nonblocking(true).unwrap();
    // Zeroed and never written: the kernel maps it to the zero page, so 1 GiB costs no memory.
    let data = vec![0u8; 1 << 30];
    let bufs = [IoSlice::new(&data)];
    println!("connected");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    let opts = FdOptions::new().timeout(Duration::from_secs(2));
    let result = vectored::write_all_fd(stream.as_fd(), &bufs, &opts);
    let (cpu, wall) = (cpu_time().saturating_sub(cpu0), wall0.elapsed());
    match result {
        Ok(n) => println!("unexpected success {n}"),
        Err(e) => println!(
            "client error {:?} transferred {} cpu_ms {} wall_ms {}",
            e.kind(),
            e.transferred(),
            cpu.as_millis(),
            wall.as_millis()
        ),
    }
}

#[test]
fn dead_link_gives_a_deadline_error_with_the_count_and_no_spin() {
    // Needs root and iproute2; the namespaces are private to this test and removed after.
    let net = match Netns::create() {
        Ok(net) => net,
        Err(why) => {
            return skip(
                Facility::NetNs,
                format_args!("network namespaces are not available here ({why})"),
            );
        }
    };
    let exe = std::env::current_exe().unwrap();
    let spawn = |ns: &str, role: &str, test: &str| {
        Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(&exe)
            .args(child_args(test))
            .env(CHILD, role)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut server = spawn(&net.b, "server", &test_name!("child_dead_link_server"));
    let mut server_out = io::BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(
            io::BufRead::read_line(&mut server_out, &mut line).unwrap() > 0,
            "server died"
        );
    }
    let mut client = spawn(&net.a, "client", &test_name!("child_dead_link_client"));
    let mut client_out = io::BufReader::new(client.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("connected") {
        line.clear();
        assert!(
            io::BufRead::read_line(&mut client_out, &mut line).unwrap() > 0,
            "client died"
        );
    }
    // Let the transfer get going (1 GiB takes veth a few hundred ms), then cut the link.
    thread::sleep(Duration::from_millis(20));
    ip(&["-n", &net.a, "link", "set", "va", "down"]).unwrap();
    let mut client_text = String::new();
    io::Read::read_to_string(&mut client_out, &mut client_text).unwrap();
    client.wait().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    drop(net);

    let report = client_text
        .lines()
        .find(|l| l.starts_with("client error"))
        .unwrap_or_else(|| panic!("client did not report: {client_text}"));
    let fields: Vec<&str> = report.split_whitespace().collect();
    let field = |name: &str| -> u64 {
        let i = fields.iter().position(|f| *f == name).unwrap();
        fields[i + 1].parse().unwrap()
    };
    eprintln!("{report}");
    assert_eq!(fields[2], "TimedOut", "{report}");
    let (sent, cpu_ms, wall_ms) = (field("transferred"), field("cpu_ms"), field("wall_ms"));
    assert!(sent > 0 && sent < 1 << 30, "{report}");
    assert!(wall_ms >= 1900, "the deadline was not honoured: {report}");
    assert!(cpu_ms * 10 < wall_ms, "the wait spun: {report}");
    // The peer cannot confirm the count: bytes in flight when the link died never arrive.
}
