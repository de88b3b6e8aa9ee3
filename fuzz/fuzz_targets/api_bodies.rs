//! Every REST request body type in `chat_wire::api`, decoded as chatd's
//! body extractor does (`serde_json::from_slice`, `chatd/src/http/extract.rs`).
//!
//! Properties: never panics; a body that decodes re-serializes to JSON that
//! decodes again and re-serializes identically (the types carry no
//! `PartialEq`, so their JSON is compared).
#![no_main]

use chat_wire::api::{
    CreateRoomRequest, EditMessageRequest, LoginRequest, ReadMarkerRequest, RegisterRequest,
    SendMessageRequest, UpdateProfileRequest, UpdateRoomRequest, UsernameRequest,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn check<T: DeserializeOwned + Serialize>(data: &[u8]) {
    let value = match serde_json::from_slice::<T>(data) {
        Ok(value) => value,
        Err(e) => {
            // chatd answers `invalid JSON body: {e}`.
            let _ = e.to_string();
            return;
        }
    };
    let json = serde_json::to_vec(&value).expect("a request body serializes");
    let again: T = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "{}: re-serialized body {} does not parse: {e}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&json)
        )
    });
    let json_again = serde_json::to_vec(&again).expect("a request body serializes");
    assert_eq!(
        json,
        json_again,
        "{}: round trip changed the body",
        std::any::type_name::<T>()
    );
}

fuzz_target!(|data: &[u8]| {
    check::<RegisterRequest>(data);
    check::<LoginRequest>(data);
    check::<UpdateProfileRequest>(data);
    check::<CreateRoomRequest>(data);
    check::<UpdateRoomRequest>(data);
    check::<UsernameRequest>(data);
    check::<SendMessageRequest>(data);
    check::<EditMessageRequest>(data);
    check::<ReadMarkerRequest>(data);
});
