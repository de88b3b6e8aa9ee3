// The styles of what is not on the first screen (dialogs, the thread side
// panel, @ completion, the image viewer) are in later.css, so the first
// screen does not download them. Every module that shows one of those
// imports this one, whose top-level await holds that module until the
// styles are in, so nothing shows unstyled. A failed load (offline) holds
// nothing: what opens then is plain rather than missing.

await new Promise((resolve) => {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  // Relative to this module, so it keeps the page's versioned path.
  link.href = new URL('../later.css', import.meta.url).href;
  link.addEventListener('load', resolve);
  link.addEventListener('error', resolve);
  document.head.append(link);
});
