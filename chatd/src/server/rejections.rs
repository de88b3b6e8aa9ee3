//! hyper's own answers, in our shape. A request head hyper cannot parse (a
//! malformed request line or header, a URI over its 64 KiB, headers past
//! its buffer) never reaches a service: hyper writes a bare
//! `400`/`414`/`431` with `content-length: 0` itself and closes the
//! connection, and offers no hook to change it. So the socket recognises
//! that answer as it is written and sends ours instead: the same status,
//! our JSON error body and our security headers.
//!
//! Only hyper writes one of those statuses without a body: every answer
//! chatd makes carries its JSON error, so nothing else is ever replaced.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use chat_wire::{ErrorBody, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The socket under hyper, swapping hyper's bodiless rejections for ours.
pub struct JsonRejections<S> {
    inner: S,
    /// Our answer, still to be written in place of hyper's.
    pending: Vec<u8>,
    written: usize,
}

impl<S> JsonRejections<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// Our answer for hyper's, when `head` is exactly one of hyper's bodiless
/// rejections (the whole write, head and nothing after it).
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let rest = head.strip_prefix(b"HTTP/1.1 ")?;
    let (status, message) = match rest.get(..4)? {
        b"400 " => ("400 Bad Request", "the request could not be parsed"),
        b"414 " => ("414 URI Too Long", "the request's URI is too long"),
        b"431 " => (
            "431 Request Header Fields Too Large",
            "the request's headers are too large",
        ),
        _ => return None,
    };
    let text = std::str::from_utf8(head).ok()?;
    let fields = text.strip_suffix("\r\n\r\n")?;
    let bodiless = fields
        .split("\r\n")
        .skip(1)
        .any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    if !bodiless {
        return None;
    }
    let body = serde_json::to_string(&ErrorBody::new(ErrorCode::InvalidRequest, message))
        .expect("an error body serializes");
    let mut answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n",
        body.len()
    );
    for (name, value) in crate::http::SECURITY_HEADERS {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str("\r\n");
    answer.push_str(&body);
    Some(answer.into_bytes())
}

impl<S: AsyncWrite + Unpin> JsonRejections<S> {
    /// Writes what is left of our answer, if any.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// hyper's rejection counts as written (it must not be offered again);
    /// ours goes out now or at the flush that follows.
    fn took(&mut self, cx: &mut Context<'_>, len: usize) -> Poll<io::Result<usize>> {
        match self.poll_pending(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(len)),
        }
    }

    /// Takes hyper's whole rejection as written, and queues ours.
    fn swapped(&mut self, buf: &[u8]) -> bool {
        // Cheap first: our answers and WebSocket frames rarely start so.
        if !buf.starts_with(b"HTTP/1.1 4") {
            return false;
        }
        match replacement(buf) {
            Some(ours) => {
                self.pending = ours;
                self.written = 0;
                true
            }
            None => false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonRejections<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonRejections<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if self.swapped(buf) {
            return self.took(cx, buf.len());
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        // hyper's rejection is a head alone: one slice, with nothing after.
        let mut filled = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(only), None) = (filled.next(), filled.next())
            && self.swapped(only)
        {
            return self.took(cx, only.len());
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_hypers_bodiless_rejections_are_replaced() {
        let hyper_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
                          date: Wed, 02 Dec 2026 13:00:00 GMT\r\n\r\n";
        let ours = String::from_utf8(replacement(hyper_431).unwrap()).unwrap();
        let (head, body) = ours.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())));
        assert!(head.contains("\r\nx-content-type-options: nosniff\r\n"));
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "invalid_request");

        // An answer with a body, another status, or more than a head stays.
        for kept in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-length: 57\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nmore",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert!(
                replacement(kept).is_none(),
                "{}",
                String::from_utf8_lossy(kept)
            );
        }
    }
}
