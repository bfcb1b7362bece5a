//! HTTP/1.1 request heads for the HTTP examples (`http_response`, `tokio_http`), sans I/O:
//! complete or not yet, malformed or too large (`400`), and whether the connection stays open
//! afterwards (RFC 9112 §9). Shared by both examples with `mod http1;`; not an example itself.

/// The longest request head accepted; RFC 9112 leaves the limit to the server.
pub(crate) const MAX_HEAD: usize = 8 * 1024;
/// The longest request body accepted (and ignored).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// What this server needs to know about one request.
pub(crate) struct Request {
    pub(crate) method: String,
    /// The request target, as sent.
    #[allow(dead_code)] // `tokio_http` serves one body whatever the target
    pub(crate) path: String,
    pub(crate) http10: bool,
    pub(crate) keep_alive: bool,
    /// Bytes the request takes at the start of the buffer: head and body.
    pub(crate) len: usize,
}

/// Parses the request at the start of `buf`: `Ok(None)` while it is incomplete, `Err` with a
/// reason when it is malformed or too large.
pub(crate) fn parse_request(buf: &[u8]) -> Result<Option<Request>, &'static str> {
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    let start = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    // The head is the lines up to the first empty one. Lines end in CRLF; a bare LF is
    // accepted too (§2.2).
    let mut lines = Vec::new();
    let mut at = start;
    let head_len = loop {
        let Some(eol) = buf[at..].iter().position(|&b| b == b'\n') else {
            return if buf.len() > MAX_HEAD {
                Err("request head too large")
            } else {
                Ok(None)
            };
        };
        let line = &buf[at..at + eol];
        at += eol + 1;
        match line.strip_suffix(b"\r").unwrap_or(line) {
            b"" => break at,
            line => lines.push(line),
        }
    };
    if head_len > MAX_HEAD {
        return Err("request head too large");
    }

    // The request line: method SP target SP version.
    let (method, path, version) = match lines[0].split(|&b| b == b' ').collect::<Vec<_>>()[..] {
        [method, path, version] if is_token(method) && is_target(path) => (method, path, version),
        _ => return Err("malformed request line"),
    };
    let http10 = match version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        _ => return Err("unsupported HTTP version"),
    };

    // The header fields this server acts on.
    let (mut close, mut keep_alive, mut hosts, mut body_len) = (false, false, 0, None);
    for line in &lines[1..] {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err("header line without a colon");
        };
        // No whitespace before the colon, no continuation lines (§5.1, §5.2).
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if !is_token(name) || value.iter().any(|&b| b < b' ' && b != b'\t') {
            return Err("malformed header line");
        }
        if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                close |= option.eq_ignore_ascii_case(b"close");
                keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let len = std::str::from_utf8(value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&len| len <= MAX_BODY)
                .ok_or("bad or too large Content-Length")?;
            if body_len.is_some_and(|other| other != len) {
                return Err("conflicting Content-Length headers");
            }
            body_len = Some(len);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err("Transfer-Encoding request bodies are not supported here");
        }
    }
    // Every HTTP/1.1 request names exactly one host (§3.2).
    if !http10 && hosts != 1 {
        return Err("an HTTP/1.1 request needs exactly one Host header");
    }
    let len = head_len + body_len.unwrap_or(0);
    if buf.len() < len {
        return Ok(None); // the body is still on its way
    }
    Ok(Some(Request {
        method: String::from_utf8_lossy(method).into_owned(),
        path: String::from_utf8_lossy(path).into_owned(),
        http10,
        // HTTP/1.1 is persistent unless closed; HTTP/1.0 only when asked (§9.3).
        keep_alive: !close && (!http10 || keep_alive),
        len,
    }))
}

/// A method or header name: one or more `tchar`s (RFC 9110 §5.6.2).
fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A request target: visible ASCII, no spaces or control characters.
fn is_target(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_graphic)
}

/// The `Connection` header a response to `request` needs.
pub(crate) fn connection_header(request: &Request) -> &'static str {
    match (request.keep_alive, request.http10) {
        (false, _) => "Connection: close\r\n",
        (true, true) => "Connection: keep-alive\r\n",
        (true, false) => "", // persistent is the HTTP/1.1 default
    }
}
