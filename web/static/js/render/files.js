// Attachments: uploads from the composer (with progress) and files shown in
// messages (image thumbnails with a full-size view, other files as a
// download link). Loaded on first use, so the first screen stays small.
// File names are always text. Images load by URL: the session cookie
// authenticates them, so no token is ever in a URL.

import { h, setText } from '../dom.js';

/** @typedef {import('../types.js').FileInfo} FileInfo */

/** @param {number} bytes */
export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** @param {number} id */
const fileUrl = (id) => `/api/v1/files/${id}`;

/**
 * Fills a message's attachment area.
 * @param {HTMLElement} into
 * @param {FileInfo[]} files
 */
export function showAttachments(into, files) {
  into.replaceChildren();
  for (const f of files) {
    if (f.has_thumbnail) {
      const img = h('img', { src: `${fileUrl(f.id)}/thumbnail`, alt: f.name, loading: 'lazy', decoding: 'async' });
      into.appendChild(
        h(
          'a',
          {
            class: 'file-thumb',
            href: fileUrl(f.id),
            title: `${f.name} (${sizeText(f.size)})`,
            onclick: (ev) => {
              ev.preventDefault();
              void openViewer(f);
            },
          },
          img,
        ),
      );
    } else {
      into.appendChild(
        h(
          'a',
          { class: 'file-link', href: fileUrl(f.id), download: f.name },
          h('span', { class: 'file-name' }, f.name),
          ' ',
          h('span', { class: 'file-size' }, `(${sizeText(f.size)})`),
        ),
      );
    }
  }
}

/** The full-size view: a modal dialog made on first use; Esc closes it. @param {FileInfo} f */
async function openViewer(f) {
  await import('../later.js');
  let dlg = document.getElementById('file-viewer');
  if (!(dlg instanceof HTMLDialogElement)) {
    dlg = h(
      'dialog',
      { id: 'file-viewer', class: 'dialog viewer', 'aria-labelledby': 'file-viewer-title' },
      h('h2', { id: 'file-viewer-title', class: 'viewer-title' }),
      h('img', { class: 'viewer-img', alt: '' }),
      h(
        'div',
        { class: 'dialog-buttons' },
        h('a', { class: 'button', id: 'file-viewer-open', download: '' }, 'Download'),
        h('button', { class: 'button primary', type: 'button', onclick: () => /** @type {HTMLDialogElement} */ (dlg).close() }, 'Close'),
      ),
    );
    document.body.appendChild(dlg);
  }
  const view = /** @type {HTMLDialogElement} */ (dlg);
  setText(/** @type {HTMLElement} */ (view.querySelector('.viewer-title')), f.name);
  const img = /** @type {HTMLImageElement} */ (view.querySelector('.viewer-img'));
  img.alt = f.name;
  img.src = fileUrl(f.id);
  const link = /** @type {HTMLAnchorElement} */ (view.querySelector('#file-viewer-open'));
  link.href = fileUrl(f.id);
  link.download = f.name;
  if (!view.open) view.showModal();
}

/**
 * Uploads one file with progress: POST /api/v1/files?name=NAME, raw bytes.
 * XMLHttpRequest, because fetch reports no upload progress.
 * @param {File} file
 * @param {(sent: number, total: number) => void} progress
 * @returns {{done: Promise<FileInfo>, abort: () => void}}
 */
export function upload(file, progress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((ok, fail) => {
    xhr.open('POST', `/api/v1/files?name=${encodeURIComponent(file.name || 'file')}`);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (ev) => progress(ev.loaded, ev.lengthComputable ? ev.total : file.size));
    xhr.addEventListener('load', () => {
      /** @type {any} */
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status === 201 && data && data.file) ok(data.file);
      else fail(new Error(data?.error?.message ?? `The server answered ${xhr.status}.`));
    });
    xhr.addEventListener('error', () => fail(new Error('Cannot reach the server. Check your connection and try again.')));
    xhr.addEventListener('abort', () => fail(new Error('Cancelled.')));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * @typedef {object} Pending
 * @property {File} file
 * @property {FileInfo|null} info  set once uploaded
 * @property {string|null} error
 * @property {() => void} abort
 */

/** The composer's tray of files being uploaded or ready to send. */
export class Uploads {
  /**
   * @param {HTMLUListElement} list
   * @param {import('../types.js').ServerLimits} limits  the server's, read when files come
   */
  constructor(list, limits) {
    this.list = list;
    this.limits = limits;
    /** @type {Pending[]} */
    this.items = [];
  }

  /**
   * Starts uploading the files the server would take; too large ones are
   * refused here rather than after sending them whole.
   * @param {File[]} files @returns {string|null} why some were not added
   */
  add(files) {
    const { attachments, upload_bytes: largest } = this.limits;
    /** @type {string[]} */
    const refused = [];
    for (const file of files) {
      if (this.items.length >= attachments) {
        refused.push(`A message can carry at most ${attachments} files.`);
        break;
      }
      if (file.size > largest) {
        refused.push(`${file.name} is ${sizeText(file.size)}; this server takes files up to ${sizeText(largest)}.`);
        continue;
      }
      this.start(file);
    }
    this.list.hidden = this.items.length === 0;
    return refused.length ? refused.join(' ') : null;
  }

  /** @param {File} file */
  start(file) {
    const bar = h('progress', { max: file.size || 1, value: 0, 'aria-label': `Uploading ${file.name}` });
    const status = h('span', { class: 'upload-status', role: 'status' }, 'uploading');
    /** @type {Pending} */
    const item = { file, info: null, error: null, abort: () => {} };
    const li = h(
      'li',
      { class: 'upload' },
      h('span', { class: 'file-name' }, file.name),
      ' ',
      h('span', { class: 'file-size' }, sizeText(file.size)),
      ' ',
      bar,
      status,
      h('button', { type: 'button', class: 'link-button', 'aria-label': `Remove ${file.name}`, onclick: () => this.remove(item, li) }, 'Remove'),
    );
    this.list.appendChild(li);
    const { done, abort } = upload(file, (sent, total) => {
      bar.max = total || 1;
      bar.value = sent;
    });
    item.abort = abort;
    this.items.push(item);
    done.then(
      (info) => {
        item.info = info;
        bar.value = bar.max;
        setText(status, 'ready');
        li.classList.add('ready');
      },
      (err) => {
        item.error = err instanceof Error ? err.message : String(err);
        setText(status, `failed: ${item.error}`);
        li.classList.add('failed');
      },
    );
  }

  /** @param {Pending} item @param {HTMLElement} li */
  remove(item, li) {
    item.abort();
    this.items = this.items.filter((i) => i !== item);
    li.remove();
    this.list.hidden = this.items.length === 0;
  }

  /** True while a file is still on its way up. */
  busy() {
    return this.items.some((i) => !i.info && !i.error);
  }

  /** The uploaded files, in the order added. @returns {FileInfo[]} */
  ready() {
    return this.items.flatMap((i) => (i.info ? [i.info] : []));
  }

  clear() {
    this.items = [];
    this.list.replaceChildren();
    this.list.hidden = true;
  }
}
