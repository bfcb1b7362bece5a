//! `send_datagrams`, `recv_datagrams`: many datagrams per system call for Python (Linux), with
//! UDP segmentation offload and `UDP_GRO` splitting done by `vectored::datagram`.

use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use vectored::datagram::{Datagram, DatagramError, DatagramSender, Received};

use crate::args::fd_or_fileno;
use crate::buffers::sequence_len;
use crate::errors::from_loop;
use crate::helpers::{borrow, effective_timeout, fd_options};
use crate::iov::Iovecs;

/// Send each item of *messages* as one datagram on *sock*, in order; returns the bytes sent.
///
/// Runs of same-size datagrams go out with UDP segmentation offload, the rest in
/// ``sendmmsg`` batches, all with the GIL released. On failure the exception has
/// ``.datagrams_sent`` (the first that many messages were sent, each exactly once; the
/// next one is the one that failed) and ``.transferred`` (their bytes).
#[pyfunction]
#[pyo3(signature = (sock, messages, /, *, address = None, timeout = None))]
pub(crate) fn send_datagrams(
    py: Python<'_>,
    sock: &Bound<'_, PyAny>,
    messages: &Bound<'_, PyAny>,
    address: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
) -> PyResult<usize> {
    let fd = fd_or_fileno(sock)?;
    let opts = fd_options(effective_timeout(sock, timeout)?);
    let dest = address
        .filter(|a| !a.is_none())
        .map(socket_address)
        .transpose()?;
    let len = sequence_len(messages, "send_datagrams")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(messages, len, false)?;
    let slices = iov.io_slices()?;
    let datagrams: Vec<Datagram<'_>> = slices
        .iter()
        .map(|s| {
            let d = Datagram::new(s);
            match dest {
                Some(to) => d.to(to),
                None => d,
            }
        })
        .collect();
    let fd = borrow(fd);
    py.detach(|| DatagramSender::new().send(fd, &datagrams, &opts))
        .map(|sent| sent.bytes())
        .map_err(|err| datagram_error(py, err))
}

/// Receive datagrams into the writable *buffers* with one ``recvmmsg`` (GIL released).
///
/// Waits for the first datagram (up to *timeout*), then takes what is queued, one per
/// buffer, or several per buffer when ``UDP_GRO`` is on. Returns one tuple
/// ``(index, offset, nbytes, address, truncated)`` per datagram.
#[pyfunction]
#[pyo3(signature = (sock, buffers, /, *, timeout = None))]
pub(crate) fn recv_datagrams<'py>(
    py: Python<'py>,
    sock: &Bound<'py, PyAny>,
    buffers: &Bound<'py, PyAny>,
    timeout: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let fd = fd_or_fileno(sock)?;
    let opts = fd_options(effective_timeout(sock, timeout)?);
    let len = sequence_len(buffers, "recv_datagrams")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, true)?;
    let Some(mut bufs) = iov.disjoint_slices_mut()? else {
        return Err(PyValueError::new_err(
            "recv_datagrams: two buffers share memory (the same buffer listed twice?); \
             each datagram needs a buffer of its own",
        ));
    };
    let fd = borrow(fd);
    let mut got: Vec<Received> = Vec::new();
    py.detach(|| vectored::datagram::recv_datagrams(fd, &mut bufs, &mut got, &opts))
        .map_err(|err| datagram_error(py, err))?;
    drop(bufs);
    drop(iov);
    // Consecutive datagrams from one sender share one address tuple (building the host
    // string is the costliest part of an item).
    let mut last: Option<(SocketAddr, Bound<'py, PyAny>)> = None;
    let items = got
        .iter()
        .map(|r| {
            let addr = match (r.source(), &last) {
                (Some(a), Some((prev, obj))) if *prev == a => obj.clone(),
                (Some(a), _) => {
                    let obj = address_tuple(py, a)?.into_any();
                    last = Some((a, obj.clone()));
                    obj
                }
                (None, _) => py.None().into_bound(py),
            };
            PyTuple::new(
                py,
                [
                    r.buffer().into_pyobject(py)?.into_any(),
                    r.range().start.into_pyobject(py)?.into_any(),
                    r.len().into_pyobject(py)?.into_any(),
                    addr,
                    pyo3::types::PyBool::new(py, r.truncated())
                        .to_owned()
                        .into_any(),
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// The exception for a failed datagram call: as the stream helpers' (signal handler's
/// exception, or `OSError` with the errno), with `.transferred` (bytes) and
/// `.datagrams_sent`.
fn datagram_error(py: Python<'_>, err: DatagramError) -> PyErr {
    let progress = err.progress();
    let err = from_loop(
        py,
        vectored::Error::new(err.into_io_error(), progress.bytes()),
        0,
    );
    let _ = err
        .value(py)
        .setattr(intern!(py, "datagrams_sent"), progress.datagrams());
    err
}

/// A destination: `(host, port)` or `(host, port, flowinfo, scope_id)` with a numeric host,
/// as `socket.sendto` takes for `AF_INET`/`AF_INET6` (no name resolution here).
fn socket_address(obj: &Bound<'_, PyAny>) -> PyResult<SocketAddr> {
    let tuple = obj
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("address must be a tuple (host, port)"))?;
    if !(2..=4).contains(&tuple.len()) {
        return Err(PyTypeError::new_err(
            "address must be (host, port) or (host, port, flowinfo, scope_id)",
        ));
    }
    let host: String = tuple.get_item(0)?.extract()?;
    let port: u16 = tuple.get_item(1)?.extract()?;
    let ip: IpAddr = host.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "address host must be a numeric IPv4 or IPv6 address, not {host:?}"
        ))
    })?;
    Ok(match ip {
        IpAddr::V4(_) => SocketAddr::new(ip, port),
        IpAddr::V6(v6) => {
            let flowinfo: u32 = match tuple.get_item(2) {
                Ok(f) => f.extract()?,
                Err(_) => 0,
            };
            let scope: u32 = match tuple.get_item(3) {
                Ok(s) => s.extract()?,
                Err(_) => 0,
            };
            SocketAddr::V6(SocketAddrV6::new(v6, port, flowinfo, scope))
        }
    })
}

/// The address as `socket.recvfrom` gives it.
fn address_tuple(py: Python<'_>, addr: SocketAddr) -> PyResult<Bound<'_, PyTuple>> {
    match addr {
        SocketAddr::V4(a) => (a.ip().to_string(), a.port()).into_pyobject(py),
        SocketAddr::V6(a) => {
            (a.ip().to_string(), a.port(), a.flowinfo(), a.scope_id()).into_pyobject(py)
        }
    }
}
