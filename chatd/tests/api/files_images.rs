//! Uploaded images: decompression bombs refused, EXIF and GPS stripped
//! from what is served, thumbnails.

use std::io::Cursor;

use reqwest::{Method, StatusCode};

use crate::files::{blobs_on_disk, fetch, hex_sha256, staging_files, upload};
use crate::helpers::{TestApp, files_dir};

/// A PNG whose header claims `width`×`height` over one tiny pixel row.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = encode(
        &image::DynamicImage::new_luma8(1, 1),
        image::ImageFormat::Png,
    );
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn encode(image: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_decompression_bomb_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bomb = png_claiming(60_000, 60_000);
    assert!(bomb.len() < 200, "the bomb itself is tiny");
    app.raw(
        Method::POST,
        "/api/v1/files?name=bomb.png",
        Some(&alice.token),
        None,
        bomb,
    )
    .await
    .expect_error(413, "payload_too_large");
    let dir = files_dir(&app.db);
    assert!(blobs_on_disk(&dir).is_empty());
    assert_eq!(staging_files(&dir), 0);
}

/// A WebP crafted so that image-webp 0.2.4 panics while reading it (found
/// by the fuzzer; `fuzz/make_upload_seeds.py` says how it is built). The
/// upload is refused as an invalid image, not answered with a 500, and
/// chatd goes on taking images.
#[tokio::test]
async fn an_image_that_breaks_its_decoder_is_refused_as_invalid() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/seeds/upload_metadata/bad_webp_overfull_code"
    ))
    .expect("the fuzz seed is there");
    // A seed is one length byte, that many bytes of query, then the file.
    let webp = seed[1 + usize::from(seed[0])..].to_vec();
    let refused = app
        .raw(
            Method::POST,
            "/api/v1/files?name=overfull.webp",
            Some(&alice.token),
            None,
            webp,
        )
        .await
        .expect_error(400, "invalid_request");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("not a valid image"), "{message}");
    let dir = files_dir(&app.db);
    assert!(blobs_on_disk(&dir).is_empty());
    assert_eq!(staging_files(&dir), 0);

    let png = encode(
        &image::DynamicImage::new_rgb8(3, 2),
        image::ImageFormat::Png,
    );
    let file = upload(&app, &alice.token, "fine.png", "image/png", png).await;
    assert_eq!(file["content_type"], "image/png");
}

/// A JPEG carrying an EXIF block with a GPS directory whose processing
/// method reads `MARKER`.
const MARKER: &[u8] = b"SECRET-PLACE-52N";

fn jpeg_with_gps() -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let jpeg = encode(
        &image::DynamicImage::ImageRgb8(pixels),
        image::ImageFormat::Jpeg,
    );
    // TIFF, little-endian: IFD0 at 8 with one entry (GPSInfo -> 26); the GPS
    // IFD at 26 with GPSLatitudeRef "N" and GPSProcessingMethod (at 56).
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend([1, 0]);
    tiff.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0]);
    tiff.extend([0, 0, 0, 0]);
    tiff.extend([2, 0]);
    tiff.extend([1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    let method_len = (8 + MARKER.len()) as u8;
    tiff.extend([0x1B, 0, 7, 0, method_len, 0, 0, 0, 56, 0, 0, 0]);
    tiff.extend([0, 0, 0, 0]);
    assert_eq!(tiff.len(), 56);
    tiff.extend(b"ASCII\0\0\0");
    tiff.extend(MARKER);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(len.to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn exif_and_gps_are_stripped_from_served_images() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let jpeg = jpeg_with_gps();
    assert!(contains(&jpeg, MARKER) && contains(&jpeg, b"Exif"));
    let file = upload(
        &app,
        &alice.token,
        "holiday.jpg",
        "application/octet-stream",
        jpeg,
    )
    .await;
    assert_eq!(file["content_type"], "image/jpeg");
    assert_eq!(
        (file["width"].clone(), file["height"].clone()),
        (640.into(), 480.into())
    );
    assert_eq!(file["has_thumbnail"], true);
    let path = format!("/api/v1/files/{}", file["id"]);
    let res = fetch(&app, &path, &alice.token, &[]).await;
    assert_eq!(
        res.headers()["content-disposition"],
        "inline; filename*=UTF-8''holiday.jpg"
    );
    let served = res.bytes().await.unwrap();
    assert!(!contains(&served, MARKER), "GPS data served");
    assert!(!contains(&served, b"Exif"), "EXIF served");
    assert_eq!(hex_sha256(&served), file["sha256"]);
    let decoded = image::load_from_memory(&served).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (640, 480));

    let res = fetch(&app, &format!("{path}/thumbnail"), &alice.token, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (400, 300));
}
