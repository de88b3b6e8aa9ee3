// A person's or a room's picture: their avatar's thumbnail (the session
// cookie authenticates it, so no token is in the URL), else an initial,
// drawn by CSS so it adds nothing to the text beside it.

import { h } from '../dom.js';

/**
 * @param {{username?: string, display_name?: string, name?: string, avatar_id?: number, avatar?: {id: number}|null}} who
 * @returns {HTMLElement}
 */
export function avatar(who) {
  const id = who.avatar_id ?? who.avatar?.id;
  if (id) return h('img', { class: 'avatar', src: `/api/v1/files/${id}/thumbnail`, alt: '' });
  const [initial = '?'] = who.display_name || who.username || who.name || '';
  return h('span', { class: 'avatar', 'aria-hidden': 'true', 'data-initial': initial.toUpperCase() });
}
