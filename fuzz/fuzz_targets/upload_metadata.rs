//! An upload as chatd takes it apart before storing anything
//! (`POST /api/v1/files?name=NAME`, `chatd/src/service/files.rs`): the query
//! string into `UploadQuery`, the name in it through `clean_name`, the type
//! sniffed from the first `SNIFF_BYTES` bytes, and for a JPEG, PNG, WebP or
//! GIF the decoding under chatd's limits (size, thumbnail, a copy without
//! metadata), all through `chatd::upload`. The client's `Content-Type` is
//! not among them: chatd never reads it on an upload.
//!
//! The input is one byte N, N bytes of query string, then the file (seeds:
//! `fuzz/make_upload_seeds.py`).
//!
//! Properties: never panics. An accepted name is 1–255 characters, trimmed,
//! without control characters, `/` or `\`, not `.` or `..`, and cleaning it
//! again changes nothing. The sniffed type is a valid header value, and a
//! type served inline is one chatd decodes. Decoding bytes in memory never
//! fails as an I/O error (chatd would answer 500 and log a storage
//! failure). A decoded image is 1–`MAX_SIDE` pixels a side; its thumbnail
//! is an image of the type given, at most `THUMB_SIDE` a side (the same
//! size when the image is no larger); the cleaned copy is an image of the
//! sniffed type and size that carries no EXIF. A panic inside a
//! third-party decoder is the one exception: chatd catches it and refuses
//! the upload as invalid, and the target checks that it does.
#![no_main]

use std::cell::Cell;
use std::io::Cursor;
use std::sync::Once;

use chat_wire::files::UploadQuery;
use chatd::upload::{
    MAX_SIDE, MediaError, Processed, SNIFF_BYTES, THUMB_SIDE, clean_name, decode, image_format,
    inline_allowed, parse_query, sniff,
};
use http::HeaderValue;
use image::{ImageDecoder as _, ImageFormat, ImageReader};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static DECODING: Cell<bool> = const { Cell::new(false) };
    static DECODER_PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// libFuzzer's panic hook aborts at the panic itself, before anything can
/// catch it. This one lets a panic raised outside chatd's own code while
/// `decode` runs unwind to chatd's catch (and notes it); every other panic
/// still aborts. An uncaught one aborts anyway when it reaches libFuzzer.
fn let_decoder_panics_unwind() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_chatd = info
                .location()
                .is_some_and(|at| at.file().contains("chatd/src/"));
            if DECODING.get() && !in_chatd {
                DECODER_PANICKED.set(true);
                return;
            }
            abort(info);
        }));
    });
}

fn check_name(raw: Option<&str>) {
    let Ok(name) = clean_name(raw) else {
        return;
    };
    let chars = name.chars().count();
    assert!((1..=255).contains(&chars), "{raw:?} became {name:?}");
    assert_eq!(name, name.trim(), "{raw:?}");
    assert!(
        !name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\'),
        "{raw:?} became {name:?}"
    );
    assert!(name != "." && name != "..", "{raw:?}");
    if raw.is_none() {
        assert_eq!(name, "file");
    }
    let again = clean_name(Some(&name)).expect("a clean name stays valid");
    assert_eq!(again, name, "cleaning is not idempotent");
}

/// The format, size and EXIF of encoded bytes, read back from their header.
fn header(bytes: &[u8], format: ImageFormat) -> ((u32, u32), Option<Vec<u8>>) {
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader
        .into_decoder()
        .unwrap_or_else(|e| panic!("chatd's own {format:?} does not decode: {e}"));
    let exif = decoder.exif_metadata().expect("EXIF is readable");
    (decoder.dimensions(), exif)
}

fn check_image(processed: &Processed, content_type: &str, format: ImageFormat) {
    let (width, height) = (processed.width, processed.height);
    assert!(
        (1..=MAX_SIDE).contains(&width) && (1..=MAX_SIDE).contains(&height),
        "{width}×{height}"
    );
    let (thumb, thumb_type) = &processed.thumbnail;
    assert_eq!(sniff(thumb), *thumb_type, "the thumbnail is what it says");
    let thumb_format = image_format(thumb_type).expect("a thumbnail is an image");
    let ((tw, th), _) = header(thumb, thumb_format);
    assert!(tw.max(th) <= THUMB_SIDE, "thumbnail {tw}×{th}");
    if width.max(height) <= THUMB_SIDE {
        assert_eq!(
            (tw, th),
            (width, height),
            "a small image is its own thumbnail"
        );
    }
    match &processed.clean {
        None => assert_eq!(format, ImageFormat::Gif, "only GIFs are kept as sent"),
        Some(clean) => {
            assert_eq!(sniff(clean), content_type, "the clean copy changed type");
            let (size, exif) = header(clean, format);
            assert_eq!(size, (width, height), "the clean copy changed size");
            assert!(exif.is_none(), "the clean copy has EXIF");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (n, rest) = data.split_first().unwrap_or((&0, &[]));
    let (query, bytes) = rest.split_at(usize::from(*n).min(rest.len()));
    // warp hands the handler the raw query, which may be any text.
    if let Ok(q) = parse_query::<UploadQuery>(&String::from_utf8_lossy(query)) {
        check_name(q.name.as_deref());
    }
    // chatd refuses an empty file before looking at it.
    if bytes.is_empty() {
        return;
    }
    let content_type = sniff(&bytes[..bytes.len().min(SNIFF_BYTES)]);
    assert!(
        HeaderValue::from_str(&content_type).is_ok(),
        "{content_type:?} cannot be sent as a Content-Type"
    );
    let format = image_format(&content_type);
    if inline_allowed(&content_type) {
        assert!(format.is_some(), "{content_type} is shown inline undecoded");
    }
    let Some(format) = format else {
        return;
    };
    let_decoder_panics_unwind();
    DECODER_PANICKED.set(false);
    DECODING.set(true);
    let decoded = decode(Cursor::new(bytes), format);
    DECODING.set(false);
    if DECODER_PANICKED.get() {
        assert!(
            matches!(decoded, Err(MediaError::Invalid(_))),
            "a decoder panicked and chatd answered {decoded:?}"
        );
    }
    match decoded {
        Ok(processed) => check_image(&processed, &content_type, format),
        Err(MediaError::Io(e)) => panic!("{format:?} from memory failed as I/O: {e}"),
        Err(MediaError::TooLarge | MediaError::Invalid(_)) => {}
    }
});
