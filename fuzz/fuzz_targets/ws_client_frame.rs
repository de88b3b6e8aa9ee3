//! The WebSocket client-frame decoder, exactly as chatd's gateway runs it
//! (`chatd/src/gateway/conn.rs`): a text frame (always valid UTF-8, the
//! WebSocket layer checks that) goes through `serde_json::from_str` into
//! `ClientFrame`, and a refusal's message is echoed in an `error` frame.
//!
//! Properties: never panics; `from_slice` on the same bytes agrees with
//! `from_str`; a decoded frame re-serializes to JSON that decodes to the
//! same frame (what a client library built on chat-wire sends is read back
//! as meant).
#![no_main]

use chat_wire::ws::ClientFrame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes that are not UTF-8 never reach the decoder in chatd, but the
    // slice decoder must not panic on them either.
    let from_slice = serde_json::from_slice::<ClientFrame>(data);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(from_slice.is_err(), "accepted a frame that is not UTF-8");
        return;
    };
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => frame,
        Err(e) => {
            // chatd answers `unreadable frame: {e}`.
            let _ = e.to_string();
            assert!(
                from_slice.is_err(),
                "from_slice accepted what from_str refused"
            );
            return;
        }
    };
    assert_eq!(
        from_slice.ok().as_ref(),
        Some(&frame),
        "from_slice and from_str disagree"
    );

    let json = serde_json::to_string(&frame).expect("a ClientFrame serializes");
    let again: ClientFrame = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("re-serialized frame {json} does not parse: {e}"));
    assert_eq!(again, frame, "round trip changed the frame: {json}");
});
