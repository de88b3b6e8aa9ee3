// Dates and times for the timeline, in the reader's locale and time zone.

// Each formatter is made on first use: making one costs milliseconds
// (locale data, patterns), and the first screen needs only two of them.
/** @param {Intl.DateTimeFormatOptions} options */
function lazyFormat(options) {
  /** @type {Intl.DateTimeFormat | undefined} */
  let fmt;
  return (/** @type {Date} */ d) => (fmt ??= new Intl.DateTimeFormat(undefined, options)).format(d);
}

const timeFmt = lazyFormat({ hour: 'numeric', minute: '2-digit' });
const fullFmt = lazyFormat({ dateStyle: 'full', timeStyle: 'short' });
const mediumFmt = lazyFormat({ dateStyle: 'medium', timeStyle: 'short' });
const dayFmt = lazyFormat({ weekday: 'long', month: 'long', day: 'numeric' });
const dayYearFmt = lazyFormat({ weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });

/** @param {string} iso */
export function shortTime(iso) {
  return timeFmt(new Date(iso));
}

/** @param {string} iso */
export function fullTime(iso) {
  return fullFmt(new Date(iso));
}

/** "Dec 2, 2026, 9:47 AM": for lists, where the full form is too long. @param {string} iso */
export function mediumTime(iso) {
  return mediumFmt(new Date(iso));
}

/** A key that changes when the local calendar day does. @param {string} iso */
export function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", or the date. @param {string} iso */
export function dayLabel(iso) {
  const d = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(iso) === dayKey(today.toISOString())) return 'Today';
  if (dayKey(iso) === dayKey(yesterday.toISOString())) return 'Yesterday';
  return d.getFullYear() === today.getFullYear() ? dayFmt(d) : dayYearFmt(d);
}
