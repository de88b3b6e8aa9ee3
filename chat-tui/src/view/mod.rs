//! Rendering: a pure function from the state to a frame. Nothing here
//! changes state or touches the network. Where things go and how text
//! wraps comes from [`crate::geometry`], which the update function
//! measures with too; this module decides how they look.

mod chrome;
mod lists;
mod login;
mod overlay;
mod timeline;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Paragraph;

use crate::app::{Screen, State};
use crate::geometry::layout;
use crate::geometry::wrap::truncate;
use crate::strings;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, state: &State) {
    let area = f.area();
    if !layout::fits(area) {
        too_small(f, area);
        return;
    }
    match state.screen {
        Screen::Login => login::draw(f, area, state),
        Screen::Chat => {
            let a = state.chat_areas(area);
            chrome::title(f, a.title, state);
            chrome::sidebar(f, a.sidebar, state);
            chrome::separator(f, a);
            timeline::draw(f, a.timeline, state);
            if let Some(b) = a.banner {
                chrome::banner(f, b, state);
            }
            chrome::input(f, a.input, state);
            chrome::status(f, a.status, state);
            overlay::draw(f, area, state);
        }
    }
}

/// The notice for a terminal too small to use.
fn too_small(f: &mut Frame, area: Rect) {
    let text = truncate(strings::TOO_SMALL, area.width as usize);
    let y = area.y + area.height / 2;
    let r = Rect {
        y,
        height: 1.min(area.height),
        ..area
    };
    let p = Paragraph::new(text)
        .style(Style::default().fg(Color::Yellow))
        .alignment(ratatui::layout::Alignment::Center);
    f.render_widget(p, r);
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_conversations;
#[cfg(test)]
mod tests_first_hour;
