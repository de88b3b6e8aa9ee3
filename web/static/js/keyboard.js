// Global keyboard shortcuts, in one place (the help dialog lists them).
//   Alt+↑ / Alt+↓            previous / next room
//   Alt+Shift+↑ / ↓          previous / next room with unread messages
//   ? (outside text fields), F1   keyboard help
//   / (outside text fields)  search messages
//   Esc                      close the innermost overlay (menus, drawer)
// Dialogs close on Esc by themselves (native <dialog>).

/**
 * @typedef {object} KeyboardHooks
 * @property {() => boolean} active  shortcuts apply (logged in, no modal dialog open)
 * @property {(delta: number, unreadOnly: boolean) => void} moveRoom
 * @property {() => void} help
 * @property {() => void} search
 * @property {() => boolean} escape  closes something; true if it did
 */

/** @param {EventTarget|null} target */
function isTextField(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
  return target instanceof HTMLSelectElement;
}

/** @param {KeyboardHooks} hooks */
export function installShortcuts(hooks) {
  document.addEventListener('keydown', (ev) => {
    if (ev.defaultPrevented) return;
    if (ev.key === 'F1') {
      ev.preventDefault();
      if (hooks.active()) hooks.help();
      return;
    }
    if (!hooks.active()) return;
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey && (ev.key === 'ArrowUp' || ev.key === 'ArrowDown')) {
      ev.preventDefault();
      hooks.moveRoom(ev.key === 'ArrowUp' ? -1 : 1, ev.shiftKey);
      return;
    }
    if (ev.key === '?' && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !isTextField(ev.target)) {
      ev.preventDefault();
      hooks.help();
      return;
    }
    if (ev.key === '/' && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !isTextField(ev.target)) {
      ev.preventDefault();
      hooks.search();
      return;
    }
    if (ev.key === 'Escape') {
      if (hooks.escape()) ev.preventDefault();
    }
  });
}
