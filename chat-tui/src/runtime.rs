//! The runtime: owns the terminal, the network tasks and the loop that
//! feeds messages to `update`, draws, and carries out effects. Effects never
//! wait on the network: REST calls are spawned, frames are queued.

use std::io::{Stdout, stdout};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use chat_wire::ws::ClientFrame;
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture, Event, EventStream, KeyEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::{self, Effect, Msg, Settings, State};
use crate::config::{Config, Paths};
use crate::net::rest::Rest;
use crate::net::{NetEvent, files, ws};
use crate::session::{self, Saved};
use crate::view;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Sends logs to a file in the state directory, never to the screen.
pub fn init_logging(paths: &Paths) -> std::io::Result<()> {
    session::ensure_private_dir(&paths.state_dir)?;
    // Logs may name rooms and people: readable by the user alone.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(paths.log_file())?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHAT_TUI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .init();
    Ok(())
}

/// Puts the terminal in raw mode on the alternate screen.
fn enter(mouse: bool) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        EnableFocusChange
    )?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Gives the terminal back as we found it. Safe to call twice.
fn leave() {
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        DisableFocusChange,
        LeaveAlternateScreen
    );
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), crossterm::cursor::Show);
}

/// Restores the terminal before a panic message is printed, so the
/// message is readable and the shell usable.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
}

/// Stops the process like Ctrl+Z would in a normal terminal (raw mode
/// turns that key into an event), after restoring the terminal.
fn suspend(term: &mut Term, mouse: bool) -> std::io::Result<()> {
    leave();
    // `kill` rather than a libc call keeps the crate free of unsafe code.
    let _ = std::process::Command::new("kill")
        .args(["-TSTP", &std::process::id().to_string()])
        .status();
    enter(mouse)?;
    term.clear()
}

/// A random prefix for this run's client ids, so ids never repeat across
/// runs (the server would answer a repeated id with an old message). The
/// clock is mixed in should the system's randomness be unavailable.
fn nonce() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        b = (now.as_nanos() as u64 ^ u64::from(std::process::id())).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs the client until the user quits.
pub async fn run(
    server: String,
    tls: std::sync::Arc<rustls::ClientConfig>,
    config: Config,
    paths: Paths,
    offset: time::UtcOffset,
) -> std::io::Result<()> {
    let server = server.trim_end_matches('/').to_owned();
    let session_file = paths.session_file();
    let saved = session::load(&session_file, &server).map(|s| (s.username, s.token));
    let settings = Settings {
        bell: config.bell,
        paste_confirm_lines: config.paste_confirm_lines,
        offset,
    };
    let (mut state, effects) = State::new(&server, saved, settings, &nonce());

    install_panic_hook();
    // From here on the terminal is restored however we leave: return,
    // error or unwinding panic.
    let _restore = Restore;
    enter(config.mouse)?;
    let mut term = Terminal::new(CrosstermBackend::new(stdout()))?;
    let size = term.size()?;
    state.size = (size.width, size.height);

    let (net_tx, mut net_rx) = mpsc::channel::<NetEvent>(1024);
    let mut rt = Runtime {
        rest: Rest::new(&server, &tls),
        tls,
        net_tx,
        ws: None,
        session_file,
        download_dir: paths.download_dir.clone(),
    };
    rt.apply(&state, effects, &mut term, config.mouse);

    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut term_sig = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let start = Instant::now();
    loop {
        if let Err(e) = term.draw(|f| view::draw(f, &state)) {
            break Err(e);
        }
        let msg = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
                Some(Ok(Event::Paste(p))) => Some(Msg::Paste(p)),
                Some(Ok(Event::Mouse(m))) => Some(Msg::Mouse(m)),
                Some(Ok(Event::Resize(w, h))) => Some(Msg::Resize(w, h)),
                Some(Ok(Event::FocusGained)) => Some(Msg::Focus(true)),
                Some(Ok(Event::FocusLost)) => Some(Msg::Focus(false)),
                Some(Ok(_)) => None,
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            Some(ev) = net_rx.recv() => Some(Msg::Net(ev)),
            _ = tick.tick() => Some(Msg::Tick(start.elapsed())),
            _ = term_sig.recv() => break Ok(()),
            _ = hup.recv() => break Ok(()),
        };
        let mut effects = msg.map(|m| app::update(&mut state, m)).unwrap_or_default();
        // Take whatever else the network has ready before drawing again, so
        // a burst of replayed events costs one frame, not hundreds.
        for _ in 0..512 {
            let Ok(ev) = net_rx.try_recv() else { break };
            effects.extend(app::update(&mut state, Msg::Net(ev)));
        }
        rt.apply(&state, effects, &mut term, config.mouse);
        if state.quit {
            break Ok(());
        }
    }
}

/// Restores the terminal when dropped.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        leave();
    }
}

/// What carries out effects.
struct Runtime {
    rest: Rest,
    tls: std::sync::Arc<rustls::ClientConfig>,
    net_tx: mpsc::Sender<NetEvent>,
    ws: Option<mpsc::UnboundedSender<ClientFrame>>,
    session_file: std::path::PathBuf,
    /// Where attachments are saved.
    download_dir: std::path::PathBuf,
}

impl Runtime {
    fn apply(&mut self, state: &State, effects: Vec<Effect>, term: &mut Term, mouse: bool) {
        let mut rang = false;
        for e in effects {
            match e {
                Effect::Rest(call) => {
                    let rest = self.rest.clone();
                    let tx = self.net_tx.clone();
                    let token = state.token.clone();
                    tokio::spawn(async move {
                        let r = rest.call(token, call).await;
                        if let crate::net::RestResult::Failed { what, message } = &r {
                            tracing::warn!(what, %message, "request failed");
                        }
                        let _ = tx.send(NetEvent::Rest(r)).await;
                    });
                }
                Effect::Upload { job, path } => {
                    let (rest, tx) = (self.rest.clone(), self.net_tx.clone());
                    let token = state.token.clone();
                    tokio::spawn(files::upload(rest, token, job, path, tx));
                }
                Effect::Download(file) => {
                    let (rest, tx) = (self.rest.clone(), self.net_tx.clone());
                    let (token, dir) = (state.token.clone(), self.download_dir.clone());
                    tokio::spawn(files::download(rest, token, *file, dir, tx));
                }
                Effect::Ws(frame) => {
                    if let Some(ws) = &self.ws {
                        let _ = ws.send(frame);
                    }
                }
                Effect::Connect => {
                    let Some(token) = state.token.clone() else {
                        continue;
                    };
                    let (tx, rx) = mpsc::unbounded_channel();
                    self.ws = Some(tx);
                    tokio::spawn(ws::worker(
                        state.server.clone(),
                        token,
                        self.tls.clone(),
                        rx,
                        self.net_tx.clone(),
                    ));
                }
                // Dropping the sender stops the worker.
                Effect::Disconnect => self.ws = None,
                Effect::SaveSession => save(&self.session_file, state),
                Effect::DeleteSession => {
                    if let Err(e) = session::delete(&self.session_file) {
                        tracing::error!(%e, "cannot delete the session file");
                    }
                }
                Effect::Bell if !rang => {
                    rang = true;
                    let _ = execute!(stdout(), crossterm::style::Print("\x07"));
                }
                Effect::Bell => {}
                Effect::Redraw => {
                    if let Err(e) = term.clear() {
                        tracing::error!(%e, "cannot clear the terminal");
                    }
                }
                Effect::Suspend => {
                    if let Err(e) = suspend(term, mouse) {
                        tracing::error!(%e, "cannot resume the terminal");
                    }
                }
            }
        }
    }
}

fn save(file: &Path, state: &State) {
    let (Some(token), Some(me)) = (&state.token, &state.me) else {
        return;
    };
    let saved = Saved {
        server: state.server.clone(),
        username: me.username.clone(),
        token: token.clone(),
    };
    if let Err(e) = session::save(file, &saved) {
        tracing::error!(%e, "cannot save the session");
    }
}
