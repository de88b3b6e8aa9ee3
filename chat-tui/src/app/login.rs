//! The login form: username, then a hidden password; Ctrl+R switches
//! between logging in and creating an account.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Effect, State};
use crate::input::Editor;
use crate::keys::{self, Action, EditOp};
use crate::net::RestCall;

/// Which field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Username,
    Password,
}

/// The form's state.
#[derive(Debug, Clone, Default)]
pub struct LoginForm {
    pub username: Editor,
    pub password: Editor,
    pub focus: Field,
    /// Create an account instead of logging in.
    pub register: bool,
    pub error: Option<String>,
    /// A request is in flight.
    pub busy: bool,
}

impl LoginForm {
    /// The focused field's editor.
    pub fn current(&mut self) -> &mut Editor {
        match self.focus {
            Field::Username => &mut self.username,
            Field::Password => &mut self.password,
        }
    }
}

/// A key on the login screen.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let form = &mut state.login;
    if key.code == KeyCode::Char('r') && key.modifiers == KeyModifiers::CONTROL {
        form.register = !form.register;
        return Vec::new();
    }
    match keys::lookup(&key) {
        Some(Action::Quit) => state.quit = true,
        Some(Action::Send) => match form.focus {
            Field::Username if !form.username.is_empty() => form.focus = Field::Password,
            Field::Password if !form.password.is_empty() && !form.busy => {
                let username = form.username.text().trim().to_lowercase();
                let password = form.password.text().to_owned();
                if form.username.is_empty() {
                    form.focus = Field::Username;
                    return Vec::new();
                }
                form.busy = true;
                form.error = None;
                let call = if form.register {
                    RestCall::Register { username, password }
                } else {
                    RestCall::Login { username, password }
                };
                return vec![Effect::Rest(call)];
            }
            _ => {}
        },
        Some(Action::Complete | Action::Edit(EditOp::Up | EditOp::Down)) => {
            form.focus = match form.focus {
                Field::Username => Field::Password,
                Field::Password => Field::Username,
            };
        }
        Some(Action::Edit(op)) => {
            form.current().apply(op);
        }
        _ => {
            if let KeyCode::Char(c) = key.code
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            {
                form.current().insert(c.encode_utf8(&mut [0; 4]));
            }
        }
    }
    Vec::new()
}
