// Choosing an avatar: mine in Settings, a room's in its Members dialog (for
// owners and admins). The image uploads like an attachment, then becomes the
// avatar; Remove clears it. The server refuses anything but an image the
// chooser uploaded, and its message says why.

import { byId, setText } from '../dom.js';
import { avatar } from './avatar.js';
import { upload } from './files.js';
import { errorText } from './panels.js';

/** @typedef {import('../types.js').FileInfo} FileInfo */
/** @typedef {{username?: string, display_name?: string, name?: string, avatar?: FileInfo|null}} Owner */

export class AvatarField {
  /**
   * @param {string} prefix  the ids: PREFIX (where the picture shows), PREFIX-file, PREFIX-remove, PREFIX-status
   * @param {(fileId: number|null) => Promise<Owner>} save  sets or clears it; answers the owner as it is now
   */
  constructor(prefix, save) {
    this.slot = byId(prefix, HTMLElement);
    this.file = byId(`${prefix}-file`, HTMLInputElement);
    this.remove = byId(`${prefix}-remove`, HTMLButtonElement);
    this.status = byId(`${prefix}-status`, HTMLElement);
    this.file.addEventListener('change', () => {
      const chosen = this.file.files?.[0];
      if (chosen) void this.run('Uploading…', async () => save((await upload(chosen, () => {}).done).id));
    });
    this.remove.addEventListener('click', () => void this.run('Removing…', () => save(null)));
  }

  /** Shows the avatar as it is now. @param {Owner} owner */
  show(owner) {
    const picture = avatar(owner);
    picture.classList.add('large');
    this.slot.replaceChildren(picture);
    this.remove.hidden = !owner.avatar;
    this.file.value = '';
    setText(this.status, '');
  }

  /** @param {string} doing @param {() => Promise<Owner>} change */
  async run(doing, change) {
    const removing = document.activeElement === this.remove;
    setText(this.status, doing);
    try {
      this.show(await change());
      setText(this.status, 'Saved.');
    } catch (err) {
      setText(this.status, errorText(err));
    }
    // The Remove button hides once there is nothing to remove.
    if (removing && this.remove.hidden) this.file.focus();
  }
}
