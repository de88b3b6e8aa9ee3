//! The login form.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::app::{Field, State};
use crate::geometry::wrap::truncate;
use crate::strings;

/// Draws the form centred, the password as stars.
pub fn draw(f: &mut Frame, area: Rect, state: &State) {
    let form = &state.login;
    let w = area.width.min(70);
    // Signing up adds the second password and the rules.
    let h = if form.register { 11 } else { 9 };
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height.saturating_sub(h) / 2,
        width: w,
        height: h.min(area.height),
    };
    let inner = w.saturating_sub(2) as usize;
    let stars = "*".repeat(form.password.text().chars().count());
    let confirm_stars = "*".repeat(form.confirm.text().chars().count());
    let status = match (&form.error, form.busy) {
        (_, true) => Line::styled(strings::LOGGING_IN, Style::default().fg(Color::Yellow)),
        (Some(e), _) => Line::styled(truncate(e, inner), Style::default().fg(Color::Red)),
        _ => Line::raw(""),
    };
    let hint = if form.register {
        strings::REGISTER_HINT
    } else if form.registration_open == Some(false) {
        strings::LOGIN_HINT_CLOSED
    } else {
        strings::LOGIN_HINT
    };
    let mut lines = vec![
        Line::raw(truncate(&format!("Server:   {}", state.server), inner)),
        Line::raw(""),
        Line::raw(truncate(
            &format!("{}{}", strings::USERNAME, form.username.text()),
            inner,
        )),
        Line::raw(truncate(&format!("{}{stars}", strings::PASSWORD), inner)),
    ];
    if form.register {
        lines.push(Line::raw(truncate(
            &format!("{}{confirm_stars}", strings::CONFIRM),
            inner,
        )));
        lines.push(Line::styled(
            truncate(strings::PASSWORD_RULES, inner),
            Style::default().fg(Color::Cyan),
        ));
    }
    lines.extend([
        Line::raw(""),
        status,
        Line::styled(truncate(hint, inner), Style::default().fg(Color::DarkGray)),
    ]);
    let title = if form.register {
        strings::REGISTER_TITLE
    } else {
        strings::LOGIN_TITLE
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        r,
    );
    let (row, text_w) = match form.focus {
        Field::Username => (
            2,
            strings::USERNAME.width() + form.username.text()[..form.username.cursor()].width(),
        ),
        Field::Password => (3, strings::PASSWORD.width() + stars.len()),
        Field::Confirm => (4, strings::CONFIRM.width() + confirm_stars.len()),
    };
    let x = (r.x + 1 + text_w as u16).min(r.right().saturating_sub(2));
    f.set_cursor_position(Position::new(x, r.y + 1 + row));
}
