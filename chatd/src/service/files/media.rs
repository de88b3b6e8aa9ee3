//! What an upload is, from its bytes: the type by magic numbers, and for
//! images their size, a thumbnail and a copy without metadata.
//!
//! Decoding runs on the blocking pool with decoder limits: the header's
//! dimensions are checked before any pixel is decoded, so a small file that
//! claims a huge image (a decompression bomb) is refused, not expanded.

use std::io::{BufRead, BufReader, Cursor, Seek};
use std::panic::AssertUnwindSafe;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder as _, ImageFormat, ImageReader, Limits};

/// Widest and tallest image accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Most memory one image's decoding may take.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// A thumbnail's longer side, in pixels.
pub const THUMB_SIDE: u32 = 400;

/// The content type of the bytes that start with `head`, from their magic
/// numbers; text that is none of the known formats is `text/plain`, and
/// anything else `application/octet-stream`.
pub fn sniff(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    // The head may end inside a UTF-8 sequence: only a real error counts.
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if !head.is_empty() && text && !head.contains(&0) {
        "text/plain".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// The image formats chatd decodes, by content type.
pub fn image_format(content_type: &str) -> Option<ImageFormat> {
    match content_type {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/webp" => Some(ImageFormat::WebP),
        "image/gif" => Some(ImageFormat::Gif),
        _ => None,
    }
}

/// Types a browser may show inline: raster images only (never SVG, HTML
/// or XML, which can carry script).
pub fn inline_allowed(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    )
}

/// What decoding an image gave.
#[derive(Debug)]
pub struct Processed {
    pub width: u32,
    pub height: u32,
    /// The image re-encoded without its metadata (JPEG, PNG and WebP);
    /// `None` keeps the uploaded bytes (GIF).
    pub clean: Option<Vec<u8>>,
    /// The thumbnail and its content type.
    pub thumbnail: (Vec<u8>, &'static str),
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the image is larger than {MAX_SIDE}×{MAX_SIDE} pixels or too large to decode")]
    TooLarge,
    #[error("the file is not a valid image: {0}")]
    Invalid(String),
    #[error("could not read the upload: {0}")]
    Io(#[from] std::io::Error),
}

impl From<image::ImageError> for MediaError {
    fn from(err: image::ImageError) -> Self {
        match err {
            image::ImageError::Limits(_) => Self::TooLarge,
            // The decoders read past the end of a file cut short: the
            // upload is bad, the disk fine.
            image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Self::Invalid("it ends too soon".to_owned())
            }
            image::ImageError::IoError(e) => Self::Io(e),
            other => Self::Invalid(other.to_string()),
        }
    }
}

/// Decodes the image at `path` (blocking: call it from `spawn_blocking`).
pub fn process(path: &Path, format: ImageFormat) -> Result<Processed, MediaError> {
    let file = std::fs::File::open(path)?;
    decode(BufReader::new(file), format)
}

/// Decodes an image in `format` from `input`: its size, a thumbnail and,
/// but for GIF, a copy without metadata (blocking).
///
/// The decoders are third-party parsers fed hostile bytes, and one of them
/// has been seen to panic on a crafted file (an arithmetic overflow in
/// image-webp 0.2.4's Huffman tables, found by the `upload_metadata` fuzz
/// target). A panic while decoding means the file is not an image chatd
/// can read: the upload is refused as invalid, not answered with a 500.
pub fn decode(input: impl BufRead + Seek, format: ImageFormat) -> Result<Processed, MediaError> {
    // Nothing outlives a panic here but the input, which is dropped.
    std::panic::catch_unwind(AssertUnwindSafe(|| decode_unguarded(input, format))).unwrap_or_else(
        |_| {
            tracing::warn!(?format, "an image decoder panicked; the upload is refused");
            Err(MediaError::Invalid(format!(
                "the {format:?} decoder could not read it"
            )))
        },
    )
}

fn decode_unguarded(
    input: impl BufRead + Seek,
    format: ImageFormat,
) -> Result<Processed, MediaError> {
    let mut reader = ImageReader::with_format(input, format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    // The limits are checked against the header here, before decoding.
    let mut decoder = reader.into_decoder()?;
    // A GIF's screen may be 0 pixels wide around a frame that is not: no
    // image, and nothing an encoder would take.
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(MediaError::Invalid(format!(
            "it is {width}×{height} pixels"
        )));
    }
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    // Metadata goes, so its rotation is applied to the pixels instead.
    image.apply_orientation(orientation);
    let clean = match format {
        ImageFormat::Gif => None,
        other => Some(encode(&image, other)?),
    };
    let small = if image.width().max(image.height()) > THUMB_SIDE {
        image.thumbnail(THUMB_SIDE, THUMB_SIDE)
    } else {
        image.clone()
    };
    let thumbnail = if small.color().has_alpha() {
        (encode(&small, ImageFormat::Png)?, "image/png")
    } else {
        (encode(&small, ImageFormat::Jpeg)?, "image/jpeg")
    };
    Ok(Processed {
        width: image.width(),
        height: image.height(),
        clean,
        thumbnail,
    })
}

/// Encodes pixels only: the encoders write no EXIF, XMP or text chunks.
fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85))?;
        }
        ImageFormat::WebP => {
            // The WebP encoder takes 8-bit RGB(A) only.
            let eight = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            eight.write_to(&mut out, ImageFormat::WebP)?;
        }
        other => image.write_to(&mut out, other)?,
    }
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(
            sniff(b"<!DOCTYPE html><html><script>x</script>"),
            "text/html"
        );
        assert_eq!(sniff("héllo".as_bytes()), "text/plain");
        // Cut inside a two-byte character: still text.
        assert_eq!(sniff(&"hé".as_bytes()[..2]), "text/plain");
        assert_eq!(sniff(b"\0\x01\x02"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
    }

    /// The `upload_metadata` fuzz target's seeds (one length byte, the
    /// query, the file; `fuzz/make_upload_seeds.py`) are images chatd
    /// decodes, so the fuzzer starts inside each decoder; those named
    /// `bad_*` broke a decoder once and are refused as invalid.
    #[test]
    fn the_fuzz_seeds_are_images() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/upload_metadata");
        let mut decoded = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("the seeds are there") {
            let path = entry.expect("a seed").path();
            let seed = std::fs::read(&path).expect("a seed reads");
            let bytes = &seed[1 + usize::from(seed[0])..];
            let content_type = sniff(bytes);
            let bad = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("bad_"));
            if bad {
                let format = image_format(&content_type).expect("a bad seed is an image type");
                match decode(Cursor::new(bytes), format) {
                    Err(MediaError::Invalid(_)) => continue,
                    other => panic!("{}: {other:?}", path.display()),
                }
            }
            if let Some(format) = image_format(&content_type) {
                let image = decode(Cursor::new(bytes), format)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(image.width > 1 && image.height > 1, "{}", path.display());
                decoded.push(content_type);
            }
        }
        decoded.sort();
        let formats = ["gif", "jpeg", "jpeg", "png", "png", "webp"].map(|f| format!("image/{f}"));
        assert_eq!(decoded, formats);
    }

    /// An image cut short is a bad upload (400), not a failed read of the
    /// staged file (500, logged as a storage failure).
    #[test]
    fn a_truncated_image_is_invalid() {
        let pixels = DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([x as u8 * 4, y as u8 * 5, (x ^ y) as u8])
        }));
        for format in [
            ImageFormat::Png,
            ImageFormat::Jpeg,
            ImageFormat::WebP,
            ImageFormat::Gif,
        ] {
            let whole = encode(&pixels, format).expect("encodes");
            assert!(decode(Cursor::new(&whole), format).is_ok(), "{format:?}");
            let cut = &whole[..whole.len() / 2];
            match decode(Cursor::new(cut), format) {
                Err(MediaError::Invalid(_)) => {}
                other => panic!("{format:?} cut short: {other:?}"),
            }
        }
    }

    /// Found by the fuzzer: a GIF whose screen is 0 pixels wide, around a
    /// 4×4 frame, decoded to an empty image that no thumbnail encoder took
    /// (a 500).
    #[test]
    fn an_image_without_pixels_is_invalid() {
        let frame = DynamicImage::ImageRgba8(image::RgbaImage::new(4, 4));
        let mut gif = encode(&frame, ImageFormat::Gif).expect("encodes");
        assert_eq!(&gif[..6], b"GIF89a");
        // The logical screen's width, little-endian.
        gif[6..8].copy_from_slice(&[0, 0]);
        match decode(Cursor::new(&gif), ImageFormat::Gif) {
            Err(MediaError::Invalid(why)) => assert!(why.contains("0×4"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_raster_images_are_shown_inline() {
        assert!(inline_allowed("image/png"));
        for t in ["image/svg+xml", "text/html", "text/xml", "application/pdf"] {
            assert!(!inline_allowed(t), "{t}");
        }
    }
}
