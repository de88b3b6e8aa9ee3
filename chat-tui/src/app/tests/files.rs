//! Files: `/upload` with its progress and its message, `/open` on an
//! attachment, and the failures in between.

use chat_wire::ws::ClientFrame;
use crossterm::event::{KeyCode, KeyModifiers};

use crate::app::{Effect, State, thread};
use crate::net::{NetEvent, RestResult};
use crate::strings;
use crate::testutil::*;

fn rest(state: &mut State, r: RestResult) -> Vec<Effect> {
    net(state, NetEvent::Rest(r))
}

/// The attachments of the `send` frames among effects.
fn sent_files(fx: &[Effect]) -> Vec<(String, Vec<i64>, Option<i64>)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Ws(ClientFrame::Send {
                body,
                attachments,
                thread_root,
                ..
            }) => Some((body.clone(), attachments.clone(), *thread_root)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_upload_shows_its_progress_then_goes_out_as_a_message() {
    let mut s = logged_in();
    let fx = type_line(&mut s, "/upload ~/Pictures/cat photo.png");
    assert_eq!(
        fx,
        vec![Effect::Upload {
            job: 1,
            path: "~/Pictures/cat photo.png".into()
        }]
    );
    assert_eq!(s.uploads.len(), 1);
    assert_eq!(s.uploads[0].name, "cat photo.png");
    rest(
        &mut s,
        RestResult::UploadProgress {
            job: 1,
            sent: 512,
            total: 2048,
        },
    );
    assert_eq!(s.uploads[0].percent(), 25);
    let fx = rest(
        &mut s,
        RestResult::Uploaded {
            job: 1,
            file: Box::new(file(40, "cat photo.png", 2048)),
        },
    );
    assert!(s.uploads.is_empty());
    assert_eq!(sent_files(&fx), [(String::new(), vec![40], None)]);
    // Until the ack it waits in the outbox with its file.
    let pending = s.outbox.in_room(1).next().unwrap();
    assert_eq!(pending.attachments[0].name, "cat photo.png");
}

#[test]
fn an_upload_in_an_open_thread_replies_there() {
    let mut s = logged_in();
    let root = msg(1, 9, "bob", "logs please");
    newest_page(&mut s, 1, vec![root.clone()]);
    thread::open(&mut s, &root);
    type_line(&mut s, "/upload app.log");
    let fx = rest(
        &mut s,
        RestResult::Uploaded {
            job: 1,
            file: Box::new(file(41, "app.log", 10)),
        },
    );
    assert_eq!(sent_files(&fx), [(String::new(), vec![41], Some(root.id))]);
}

#[test]
fn a_failed_upload_says_why_and_sends_nothing() {
    let mut s = logged_in();
    type_line(&mut s, "/upload big.iso");
    let fx = rest(
        &mut s,
        RestResult::UploadFailed {
            job: 1,
            message: "the file is larger than 25 MiB".into(),
        },
    );
    assert!(fx.is_empty());
    assert!(s.uploads.is_empty());
    assert_eq!(
        s.notice.as_deref(),
        Some("upload of big.iso failed: the file is larger than 25 MiB")
    );
    // No path, no upload.
    assert!(type_line(&mut s, "/upload").is_empty());
    assert_eq!(s.notice.as_deref(), Some("usage: /upload PATH"));
}

#[test]
fn open_saves_the_newest_attachment_or_the_numbered_one() {
    let mut s = logged_in();
    type_line(&mut s, "/open");
    assert_eq!(s.notice.as_deref(), Some(strings::NO_ATTACHMENTS));
    let mut m = msg(1, 11, "bob", "the minutes");
    m.attachments = vec![file(50, "minutes.pdf", 3000), file(51, "agenda.txt", 20)];
    net(&mut s, created(m));
    net(&mut s, created(msg(1, 12, "bob", "see above")));
    let fx = type_line(&mut s, "/open");
    assert_eq!(
        fx,
        vec![Effect::Download(Box::new(file(50, "minutes.pdf", 3000)))]
    );
    assert_eq!(s.notice.as_deref(), Some("saving minutes.pdf…"));
    let fx = type_line(&mut s, "/open 2");
    assert_eq!(
        fx,
        vec![Effect::Download(Box::new(file(51, "agenda.txt", 20)))]
    );
    assert!(type_line(&mut s, "/open 3").is_empty());
    assert_eq!(s.notice.as_deref(), Some("that message has 2 attachments"));
    assert!(type_line(&mut s, "/open first").is_empty());
    assert_eq!(s.notice.as_deref(), Some("usage: /open [N]"));
    // Where it went comes back as a notice.
    let path = std::path::PathBuf::from("/home/alice/Downloads/minutes (1).pdf");
    rest(&mut s, RestResult::Saved { path });
    assert_eq!(
        s.notice.as_deref(),
        Some("saved to /home/alice/Downloads/minutes (1).pdf")
    );
}

#[test]
fn o_on_a_selected_message_saves_its_first_attachment() {
    let mut s = logged_in();
    let mut m = msg(1, 11, "bob", "");
    m.attachments = vec![file(60, "photo.jpg", 90_000)];
    net(&mut s, created(m));
    net(&mut s, created(msg(1, 12, "bob", "nice, right?")));
    key(&mut s, KeyCode::Up, KeyModifiers::CONTROL);
    // The newest message carries nothing.
    assert!(key(&mut s, KeyCode::Char('o'), KeyModifiers::NONE).is_empty());
    assert_eq!(s.notice.as_deref(), Some(strings::NO_ATTACHMENTS));
    key(&mut s, KeyCode::Up, KeyModifiers::NONE);
    let fx = key(&mut s, KeyCode::Char('o'), KeyModifiers::NONE);
    assert_eq!(
        fx,
        vec![Effect::Download(Box::new(file(60, "photo.jpg", 90_000)))]
    );
}
