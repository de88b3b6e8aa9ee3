//! Every query-string type in `chat_wire::api`, decoded as chatd's query
//! extractor does (`serde_urlencoded::from_str`, `chatd/src/http/extract.rs`;
//! warp hands it the raw query, which may be any text).
//!
//! Properties: never panics; a query that decodes re-encodes to a query
//! that decodes again and re-encodes identically.
#![no_main]

use chat_wire::api::{EventsQuery, MessagesQuery, SearchQuery};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn check<T: DeserializeOwned + Serialize>(raw: &str) {
    let value = match serde_urlencoded::from_str::<T>(raw) {
        Ok(value) => value,
        Err(e) => {
            // chatd answers `invalid query string: {e}`.
            let _ = e.to_string();
            return;
        }
    };
    let query = serde_urlencoded::to_string(&value).expect("a query serializes");
    let again: T = serde_urlencoded::from_str(&query).unwrap_or_else(|e| {
        panic!(
            "{}: re-encoded query {query:?} does not parse: {e}",
            std::any::type_name::<T>()
        )
    });
    let query_again = serde_urlencoded::to_string(&again).expect("a query serializes");
    assert_eq!(
        query,
        query_again,
        "{}: round trip changed the query",
        std::any::type_name::<T>()
    );
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    check::<MessagesQuery>(&raw);
    check::<EventsQuery>(&raw);
    check::<SearchQuery>(&raw);
});
