// The first screen's module graph stays one wave deep: main.js names every
// module its static imports reach, so the browser asks for all of them as
// soon as main.js arrives instead of one round of requests per level. A
// module that gains an import fails this until main.js names it too.
// (Reads the files only: no server, no browser.)

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const JS = join(dirname(fileURLToPath(import.meta.url)), '..', 'static', 'js');
/** Static `import … from '…'`, bare `import '…'` and `export … from '…'`; dynamic import() is left out on purpose. */
const STATIC_IMPORT = /^(?:import|export)\s+(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;

/** @param {string} file absolute path @returns {string[]} absolute paths it imports statically */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(STATIC_IMPORT)].map((m) => join(dirname(file), /** @type {string} */ (m[1])));
}

test('main.js names every module its static imports reach', () => {
  const main = join(JS, 'main.js');
  const direct = new Set(importsOf(main));
  const reached = new Set();
  const queue = [...direct];
  while (queue.length) {
    const file = /** @type {string} */ (queue.pop());
    if (reached.has(file)) continue;
    reached.add(file);
    queue.push(...importsOf(file));
  }
  const missing = [...reached].filter((f) => !direct.has(f)).map((f) => relative(JS, f));
  assert.deepEqual(missing, [], `main.js should also import ${missing.join(', ')}`);
  assert.ok(reached.size >= 15, `only ${reached.size} modules found: is STATIC_IMPORT still right?`);
});

// Issue 18's budget for the first screen: at most 150 KiB of JS and CSS,
// uncompressed. Everything else (dialogs, the thread panel, files,
// notifications, the login form) loads on first use.
const FIRST_SCREEN_BUDGET = 150 * 1024;

test('the first screen’s JS and CSS stay within 150 KiB', () => {
  const main = join(JS, 'main.js');
  const files = new Set([join(JS, 'boot.js'), main, ...importsOf(main), join(JS, '..', 'app.css')]);
  const bytes = [...files].reduce((sum, f) => sum + statSync(f).size, 0);
  assert.ok(bytes <= FIRST_SCREEN_BUDGET, `${bytes} bytes in ${files.size} files: over the budget by ${bytes - FIRST_SCREEN_BUDGET}; load something on first use instead`);
});
