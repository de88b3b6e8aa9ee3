// Message bodies as DOM nodes: a safe subset of markup, built node by node.
// Supported: http(s) links, `inline code`, ```code blocks```, **bold**, *italic*.
// Everything else is plain text (textContent), so no input can become markup.

import { h } from './dom.js';

const FENCE = /```(?:[^\n`]*\n)?([\s\S]*?)```/g;
// One alternative per inline form; the first that matches at a position wins.
const INLINE = /(`[^`\n]+`)|(\*\*(?=\S)[^\n]*?\S\*\*)|(\*(?=[^\s*])[^*\n]*?[^\s*]\*|\*[^\s*]\*)|(https?:\/\/[^\s<>"'`]+)/gi;
const TRAILING_PUNCT = /[.,;:!?'"\])}]+$/;

/**
 * @param {string} body
 * @returns {DocumentFragment}
 */
export function formatBody(body) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of body.matchAll(FENCE)) {
    const at = m.index ?? 0;
    if (at > last) frag.appendChild(formatInline(body.slice(last, at), 0));
    const code = (m[1] ?? '').replace(/\n$/, '');
    frag.appendChild(h('pre', { class: 'code-block' }, h('code', {}, code)));
    last = at + m[0].length;
  }
  if (last < body.length) frag.appendChild(formatInline(body.slice(last), 0));
  return frag;
}

/**
 * @param {string} text
 * @param {number} depth  nesting of bold/italic, bounded
 * @returns {DocumentFragment}
 */
function formatInline(text, depth) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    const [whole, code, bold, italic, url] = m;
    if (at > last) frag.appendChild(document.createTextNode(text.slice(last, at)));
    last = at + whole.length;
    if (code) {
      frag.appendChild(h('code', { class: 'inline-code' }, code.slice(1, -1)));
    } else if (bold) {
      const inner = bold.slice(2, -2);
      frag.appendChild(wrap('strong', inner, depth));
    } else if (italic) {
      const inner = italic.slice(1, -1);
      frag.appendChild(wrap('em', inner, depth));
    } else if (url) {
      // Leave trailing punctuation out of the link (keep balanced parentheses).
      let href = url;
      let rest = '';
      const punct = TRAILING_PUNCT.exec(href);
      if (punct) {
        href = href.slice(0, punct.index);
        rest = url.slice(href.length);
        if (rest.startsWith(')') && count(href, '(') > count(href, ')')) {
          href += ')';
          rest = rest.slice(1);
        }
      }
      const link = safeLink(href);
      frag.appendChild(link ?? document.createTextNode(href));
      if (rest) frag.appendChild(document.createTextNode(rest));
    }
  }
  if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
  return frag;
}

/**
 * @param {'strong'|'em'} tag
 * @param {string} inner
 * @param {number} depth
 */
function wrap(tag, inner, depth) {
  const el = document.createElement(tag);
  el.appendChild(depth < 3 ? formatInline(inner, depth + 1) : document.createTextNode(inner));
  return el;
}

/** @param {string} s @param {string} c */
function count(s, c) {
  return s.split(c).length - 1;
}

/**
 * A link for an http(s) URL, or null for anything else.
 * @param {string} text
 * @returns {HTMLAnchorElement|null}
 */
export function safeLink(text) {
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer' }, text);
}

/**
 * A one-line plain-text excerpt (for reply quotes).
 * @param {string} body
 * @param {number} [max]
 */
export function excerpt(body, max = 120) {
  const flat = body.replace(/```/g, '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
