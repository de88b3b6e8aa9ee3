//! The login form: username, then a hidden password; Ctrl+R switches
//! between logging in and creating an account, which shows the password
//! rules up front and asks for the password twice.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Effect, State};
use crate::input::Editor;
use crate::keys::{self, Action, EditOp};
use crate::net::RestCall;
use crate::strings;

/// Which field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Username,
    Password,
    /// The password again (creating an account).
    Confirm,
}

/// The form's state.
#[derive(Debug, Clone, Default)]
pub struct LoginForm {
    pub username: Editor,
    pub password: Editor,
    pub confirm: Editor,
    pub focus: Field,
    /// Create an account instead of logging in.
    pub register: bool,
    /// Whether the server takes registrations; None until it says.
    pub registration_open: Option<bool>,
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
            Field::Confirm => &mut self.confirm,
        }
    }

    /// The field after the focused one (Tab, ↓), round the form.
    fn next_field(&self) -> Field {
        match (self.focus, self.register) {
            (Field::Username, _) => Field::Password,
            (Field::Password, true) => Field::Confirm,
            _ => Field::Username,
        }
    }

    /// The field before the focused one (↑), round the form.
    fn prev_field(&self) -> Field {
        match (self.focus, self.register) {
            (Field::Username, true) => Field::Confirm,
            (Field::Username, false) => Field::Password,
            (Field::Password, _) => Field::Username,
            (Field::Confirm, _) => Field::Password,
        }
    }

    /// The request the filled-in form makes, or why it cannot yet.
    fn submit(&mut self) -> Result<RestCall, String> {
        let username = self.username.text().trim().to_lowercase();
        let password = self.password.text().to_owned();
        if !self.register {
            return Ok(RestCall::Login { username, password });
        }
        // Said here and now rather than after a round trip.
        let checked = chat_wire::validate::password(&password).and_then(|()| {
            if self.confirm.text() == password {
                Ok(())
            } else {
                Err(strings::PASSWORDS_DIFFER.to_owned())
            }
        });
        if let Err(why) = checked {
            self.password.take();
            self.confirm.take();
            self.focus = Field::Password;
            return Err(why);
        }
        Ok(RestCall::Register { username, password })
    }
}

/// A key on the login screen.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let form = &mut state.login;
    if key.code == KeyCode::Char('r') && key.modifiers == KeyModifiers::CONTROL {
        if form.registration_open == Some(false) && !form.register {
            form.error = Some(strings::REGISTRATION_CLOSED.to_owned());
            return Vec::new();
        }
        form.register = !form.register;
        form.error = None;
        if form.focus == Field::Confirm {
            form.focus = Field::Password;
        }
        return Vec::new();
    }
    match keys::lookup(&key) {
        Some(Action::Quit) => state.quit = true,
        Some(Action::Send) => match form.focus {
            Field::Username if !form.username.is_empty() => form.focus = Field::Password,
            Field::Password if form.register && !form.password.is_empty() => {
                form.focus = Field::Confirm;
            }
            Field::Password | Field::Confirm if !form.password.is_empty() && !form.busy => {
                if form.username.is_empty() {
                    form.focus = Field::Username;
                    return Vec::new();
                }
                match form.submit() {
                    Ok(call) => {
                        form.busy = true;
                        form.error = None;
                        return vec![Effect::Rest(call)];
                    }
                    Err(why) => form.error = Some(why),
                }
            }
            _ => {}
        },
        Some(Action::Complete | Action::Edit(EditOp::Down)) => form.focus = form.next_field(),
        Some(Action::Edit(EditOp::Up)) => form.focus = form.prev_field(),
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

/// The server said whether it takes registrations: a closed one is not
/// offered (and a form switched to creating an account goes back).
pub fn on_registration(state: &mut State, open: bool) {
    let form = &mut state.login;
    form.registration_open = Some(open);
    if !open && form.register {
        form.register = false;
        if form.focus == Field::Confirm {
            form.focus = Field::Password;
        }
    }
}
