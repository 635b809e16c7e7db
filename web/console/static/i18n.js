// Console text from message catalogues (`/static/messages/<locale>.json`), Chinese by default
// with an English switch that is remembered, and numbers, units and times formatted by `Intl`
// for the chosen locale. Nothing in the console writes user-facing text without going through
// `t` or one of the formatters here, so a catalogue is the whole translation.

const STORAGE_KEY = 'skywatch.locale';
export const LOCALES = Object.freeze({ 'zh-CN': '中文', en: 'English' });
export const DEFAULT_LOCALE = 'zh-CN';
const NOTHING = '—';

// Our short unit names -> the ECMA-402 unit identifiers `Intl.NumberFormat` accepts.
const UNITS = Object.freeze({
  m: 'meter', km: 'kilometer', mps: 'meter-per-second', deg: 'degree', s: 'second',
  min: 'minute', h: 'hour', ha: 'hectare',
});

let locale = DEFAULT_LOCALE;
let messages = {};
const formatters = new Map(); // cached per locale and options: telemetry formats 10x a second
const listeners = new Set();

export function currentLocale() {
  return locale;
}

function storedLocale() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return saved && saved in LOCALES ? saved : DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE; // storage disabled: the default, every time
  }
}

async function fetchCatalogue(name) {
  const response = await fetch(`/static/messages/${name}.json`);
  if (!response.ok) throw new Error(`messages ${name}: HTTP ${response.status}`);
  return response.json();
}

// Load `name`'s catalogue, translate the page and tell every listener; `persist` remembers
// the choice for the next visit.
export async function setLocale(name, { persist = true } = {}) {
  if (!(name in LOCALES)) throw new Error(`unknown locale ${name}`);
  messages = await fetchCatalogue(name);
  locale = name;
  formatters.clear();
  if (persist) {
    try {
      localStorage.setItem(STORAGE_KEY, name);
    } catch {
      // storage disabled: the choice lasts until the page is reloaded
    }
  }
  document.documentElement.lang = name;
  translate(document);
  for (const listener of listeners) listener(name);
}

// The remembered locale (or Chinese) at start-up.
export function initLocale() {
  return setLocale(storedLocale(), { persist: false });
}

export function onLocaleChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function has(key) {
  return key in messages;
}

// The message `key` with `{name}` placeholders filled from `params`. A message may be an
// object of plural forms ({"one": ..., "other": ...}) chosen by `params.count`.
export function t(key, params = {}) {
  let template = messages[key];
  if (template === undefined) {
    console.warn(`no message ${key} in ${locale}`);
    return key;
  }
  if (typeof template === 'object') {
    const form = pluralRules().select(Number(params.count ?? 0));
    template = template[form] ?? template.other;
  }
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === 'number' ? formatNumber(value) : String(value);
  });
}

// A value of an enumeration (a task state, a link state, a flight mode) in words: the
// message `<prefix>.<value>` when the catalogue has one, else the value as the server sent it.
export function tValue(prefix, value) {
  if (value == null || value === '') return NOTHING;
  const key = `${prefix}.${value}`;
  return key in messages ? messages[key] : String(value);
}

// Fill every element marked `data-i18n` (text) or `data-i18n-<attr>` (title, placeholder,
// aria-label) under `root` from the catalogue.
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['title', 'placeholder', 'aria-label']) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
    }
  }
}

function cached(kind, options, make) {
  const key = `${kind}|${JSON.stringify(options)}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = make(locale, options);
    formatters.set(key, formatter);
  }
  return formatter;
}

function pluralRules() {
  return cached('plural', {}, (l) => new Intl.PluralRules(l));
}

function fixed(digits) {
  return { minimumFractionDigits: digits, maximumFractionDigits: digits };
}

export function formatNumber(value, digits = null) {
  if (value == null || Number.isNaN(value)) return NOTHING;
  const options = digits == null ? {} : fixed(digits);
  return cached('number', options, (l, o) => new Intl.NumberFormat(l, o)).format(value);
}

// A quantity with its unit (`m`, `km`, `mps`, `deg`, `s`, `min`, `h`, `ha`, `pct`), e.g. 30 m.
export function formatQuantity(value, unit, digits = 0) {
  if (value == null || Number.isNaN(value)) return NOTHING;
  if (unit === 'pct') {
    const options = { style: 'percent', ...fixed(digits) };
    return cached('number', options, (l, o) => new Intl.NumberFormat(l, o)).format(value / 100);
  }
  if (!(unit in UNITS)) throw new Error(`unknown unit ${unit}`);
  const options = { style: 'unit', unit: UNITS[unit], unitDisplay: 'short', ...fixed(digits) };
  return cached('number', options, (l, o) => new Intl.NumberFormat(l, o)).format(value);
}

// A distance in metres, switching to kilometres from 1 km.
export function formatDistance(metres) {
  if (metres == null || Number.isNaN(metres)) return NOTHING;
  return Math.abs(metres) < 1000 ? formatQuantity(metres, 'm', 0)
    : formatQuantity(metres / 1000, 'km', 1);
}

// A duration in seconds, as minutes and seconds from one minute.
export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return NOTHING;
  const whole = Math.round(seconds);
  if (Math.abs(whole) < 60) return formatQuantity(whole, 's');
  const minutes = Math.trunc(whole / 60);
  const rest = Math.abs(whole % 60);
  if (Math.abs(minutes) >= 60) {
    const hours = formatQuantity(Math.trunc(minutes / 60), 'h');
    return `${hours} ${formatQuantity(Math.abs(minutes % 60), 'min')}`;
  }
  return rest ? `${formatQuantity(minutes, 'min')} ${formatQuantity(rest, 's')}`
    : formatQuantity(minutes, 'min');
}

// A clock time (24 h, with seconds) of an ISO 8601 string or a Date, in the browser's zone.
export function formatTime(value) {
  if (value == null || value === '') return NOTHING;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return NOTHING;
  const options = { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  return cached('time', options, (l, o) => new Intl.DateTimeFormat(l, o)).format(date);
}

export function formatDateTime(value) {
  if (value == null || value === '') return NOTHING;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return NOTHING;
  const options = { dateStyle: 'short', timeStyle: 'medium', hourCycle: 'h23' };
  return cached('datetime', options, (l, o) => new Intl.DateTimeFormat(l, o)).format(date);
}

// A latitude/longitude pair to five decimals (about a metre).
export function formatLatLon(lat, lon) {
  if (lat == null || lon == null) return NOTHING;
  return `${formatNumber(lat, 5)}, ${formatNumber(lon, 5)}`;
}
