//! Bytes from a client's socket through the WebSocket layer as chatd's
//! gateway reads them: tungstenite in the server role with the gateway's
//! size limits (as `chatd/src/http/ws.rs` builds the stream), then each
//! message as the gateway takes it (`chatd/src/gateway/conn/run.rs`): a text
//! message through `serde_json::from_str` into `ClientFrame`, a binary one
//! answered with an `error` frame, a read error ending the socket (invalid
//! UTF-8 in a text message with close 1007).
//!
//! The first byte picks the mode. Raw: the rest is the byte stream itself,
//! any framing, masked or not, any opcode. Framed: the rest describes client
//! messages (text or binary, split into continuation frames, pings between
//! them, any payload), which the target frames and masks correctly so that
//! the payloads, invalid UTF-8 above all (split across frames too), reach
//! the UTF-8 check and the decoder.
//!
//! Properties: never panics; in framed mode, a text message whose payload
//! is UTF-8 arrives as exactly that text, one whose payload is not is a
//! `Utf8` error (chatd's 1007) and nothing after it is read, and a binary
//! message arrives as exactly its bytes.
#![no_main]

use std::io::{self, Cursor, Read, Write};

use chat_wire::ws::ClientFrame;
use chatd::gateway::GatewayConfig;
use libfuzzer_sys::fuzz_target;
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::{Error, Message};

/// The server's end of a socket: reads what the client sent, then the end
/// of the stream; what the server writes (pongs, a close) goes nowhere.
struct Wire(Cursor<Vec<u8>>);

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The gateway's limit on a frame and on a message.
fn max_message() -> usize {
    GatewayConfig::default().max_message_bytes
}

fn server_socket(bytes: Vec<u8>) -> WebSocket<Wire> {
    let max = max_message();
    let config = WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    WebSocket::from_raw_socket(Wire(Cursor::new(bytes)), Role::Server, Some(config))
}

/// Everything the gateway would read from these bytes, up to the first
/// error (which ends the socket), each message handled as the gateway does.
fn read_all(bytes: Vec<u8>) -> (Vec<Message>, Option<Error>) {
    let mut socket = server_socket(bytes);
    let mut read = Vec::new();
    loop {
        match socket.read() {
            Ok(message) => {
                if let Message::Text(text) = &message {
                    // An unreadable frame is answered `unreadable frame: {e}`.
                    if let Err(e) = serde_json::from_str::<ClientFrame>(text.as_str()) {
                        let _ = e.to_string();
                    }
                }
                read.push(message);
            }
            Err(e) => return (read, Some(e)),
        }
    }
}

/// One masked client frame.
fn frame(out: &mut Vec<u8>, fin: bool, opcode: u8, payload: &[u8], mask: [u8; 4]) {
    out.push(u8::from(fin) << 7 | opcode);
    match payload.len() {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
}

/// A message the framed mode sends, and what must come of it.
struct Sent {
    text: bool,
    payload: Vec<u8>,
}

/// Reads the framed mode's description: per message a header byte (bit 0:
/// text or binary; bits 1-2: into 1-4 frames; bit 3: a ping between
/// frames), a length byte, then that many payload bytes.
fn framed(mut data: &[u8]) -> (Vec<u8>, Vec<Sent>) {
    let mut wire = Vec::new();
    let mut sent = Vec::new();
    while let [header, len, rest @ ..] = data {
        let len = usize::from(*len).min(rest.len());
        let (payload, after) = rest.split_at(len);
        data = after;
        let text = header & 1 == 1;
        let pieces = usize::from((header >> 1) & 3) + 1;
        let ping_between = header & 8 != 0;
        let mask = [*header, len as u8, 0x5a, 0xa5];
        let chunk = payload.len().div_ceil(pieces).max(1);
        let mut chunks: Vec<&[u8]> = payload.chunks(chunk).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let last = chunks.len() - 1;
        for (i, piece) in chunks.iter().enumerate() {
            let opcode = match (i, text) {
                (0, true) => 0x1,
                (0, false) => 0x2,
                _ => 0x0,
            };
            frame(&mut wire, i == last, opcode, piece, mask);
            if ping_between && i < last {
                frame(&mut wire, true, 0x9, b"ping", mask);
            }
        }
        sent.push(Sent {
            text,
            payload: payload.to_vec(),
        });
    }
    (wire, sent)
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, data)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let _ = read_all(data.to_vec());
        return;
    }
    let (wire, sent) = framed(data);
    let (read, error) = read_all(wire);
    // Pings are answered by tungstenite and ignored by the gateway.
    let mut read = read
        .into_iter()
        .filter(|m| !matches!(m, Message::Ping(_) | Message::Pong(_)));
    for (n, message) in sent.iter().enumerate() {
        let utf8 = std::str::from_utf8(&message.payload);
        if message.text && utf8.is_err() {
            assert!(
                read.next().is_none(),
                "message {n}: invalid UTF-8 was read as a message"
            );
            assert!(
                matches!(error, Some(Error::Utf8(_))),
                "message {n}: invalid UTF-8 gave {error:?}, not a UTF-8 error (close 1007)"
            );
            return;
        }
        match read.next() {
            Some(Message::Text(text)) => {
                assert!(message.text, "message {n}: binary read as text");
                assert_eq!(Ok(text.as_str()), utf8, "message {n}: text changed");
            }
            Some(Message::Binary(bytes)) => {
                assert!(!message.text, "message {n}: text read as binary");
                assert_eq!(
                    &bytes[..],
                    &message.payload[..],
                    "message {n}: bytes changed"
                );
            }
            other => panic!("message {n}: expected it, read {other:?} (error {error:?})"),
        }
    }
    assert!(read.next().is_none(), "read more messages than were sent");
});
