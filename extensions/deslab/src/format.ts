/** Formatting of values for display (all results are plain strings, set as text). */

/** A cell value of a query result as text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    const a = Math.abs(value);
    return a !== 0 && (a < 1e-4 || a >= 1e10) ? value.toExponential(6) : String(+value.toPrecision(10));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** Seconds as "0.12 s", "1 min 3 s", "2 h 5 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '';
  }
  if (seconds < 10) {
    return `${seconds.toFixed(2)} s`;
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  const m = Math.floor(seconds / 60);
  if (m < 60) {
    return `${m} min ${Math.round(seconds - m * 60)} s`;
  }
  const hrs = Math.floor(m / 60);
  return `${hrs} h ${m - hrs * 60} min`;
}

/** An ISO time as local "YYYY-MM-DD HH:MM". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  if (isNaN(d.getTime())) {
    return String(iso);
  }
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** How long until an ISO time: "in 13 days", "in 5 h", "expired". */
export function formatUntil(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) {
    return '';
  }
  const t = new Date(iso).getTime();
  if (isNaN(t)) {
    return '';
  }
  const s = (t - now) / 1000;
  if (s <= 0) {
    return 'expired';
  }
  if (s < 3600) {
    return `in ${Math.max(1, Math.round(s / 60))} min`;
  }
  if (s < 2 * 86400) {
    return `in ${Math.round(s / 3600)} h`;
  }
  return `in ${Math.round(s / 86400)} days`;
}

/** Bytes as "1.2 MB". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !isFinite(n)) {
    return '';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
