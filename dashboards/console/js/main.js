// Entry point: sign-in with an API token (kept in sessionStorage, never in the URL), the
// hash router, the language switch, the offline state and the banner for critical events.
import { createApi } from './api.js';
import { clear, errorBox, h } from './dom.js';
import { label, locale, onLocaleChange, setLocale, t } from './i18n.js';
import { eventTitle, setFactors, setMetricUnits, setRuleTitles } from './format.js';
import { createLiveEvents } from './live.js';
import { createSiteDirectory } from './sites.js';
import { renderCharts } from './views/charts.js';
import { renderDeviceCommands } from './views/commands.js';
import { renderEvent } from './views/event.js';
import { renderQuality } from './views/quality.js';
import { renderRisk, renderSiteRisk } from './views/risk.js';
import { renderSite } from './views/site.js';
import { renderSites } from './views/sites.js';
import { renderUsers } from './views/users.js';
import { renderWall } from './views/wall.js';
import { renderPoster } from './views/poster.js';
import { renderScan, renderVisit, renderVisits } from './views/visit.js';

const TOKEN_KEY = 'gw.console.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const navUsers = document.getElementById('nav-users');
const navVisits = document.getElementById('nav-visits');
const who = document.getElementById('who');
const live = document.getElementById('live');
const flash = document.getElementById('flash');
const offline = document.getElementById('offline');
const langSelect = document.getElementById('lang');
const signOutButton = document.getElementById('sign-out');

let session = null;
let cleanup = null;
// A view whose load failed while the gateway was unreachable is drawn again on reconnection.
let viewFailed = false;
let reachable = true;
let liveStatus = '';
let lastRoute = null;

const ROUTES = [
  [/^#?\/?(?:events)?$/, (ctx, _m, query) => renderWall(main, ctx, query)],
  [/^#\/events\/([\w-]+)$/, (ctx, m) => renderEvent(main, ctx, m[1])],
  [/^#\/sites$/, (ctx) => renderSites(main, ctx)],
  [/^#\/sites\/([\w.-]+)$/, (ctx, m) => renderSite(main, ctx, m[1])],
  [/^#\/devices\/([\w.-]+)\/commands$/, (ctx, m) => renderDeviceCommands(main, ctx, m[1])],
  [/^#\/charts$/, (ctx, _m, query) => renderCharts(main, ctx, query)],
  [/^#\/users$/, (ctx) => renderUsers(main, ctx)],
  [/^#\/risk$/, (ctx) => renderRisk(main, ctx)],
  [/^#\/quality$/, (ctx, _m, query) => renderQuality(main, ctx, query)],
  [/^#\/risk\/([\w.-]+)$/, (ctx, m) => renderSiteRisk(main, ctx, m[1])],
  // Issue 17: a site's QR poster, and the inspector's phone on a visit.
  [/^#\/sites\/([\w.-]+)\/poster$/, (ctx, m) => renderPoster(main, ctx, m[1])],
  [/^#\/scan\/([A-Za-z0-9_-]+)$/, (ctx, m) => renderScan(main, ctx, m[1])],
  [/^#\/visits$/, (ctx) => renderVisits(main, ctx)],
  [/^#\/visit\/(plan-[\w-]+)\/([\w.-]+)$/, (ctx, m) => renderVisit(main, ctx, m[1], m[2])],
];

/** Static text marked data-i18n in index.html. */
function translateStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  langSelect.value = locale();
  if (session) who.textContent = t('app.who', { user: session.me.user, role: label('role', session.me.role) });
  showLive(liveStatus);
  showOffline();
}

function route({ focus = true } = {}) {
  if (!session) return;
  cleanup?.();
  cleanup = null;
  viewFailed = false;
  const [path, search = ''] = location.hash.split('?');
  const query = new URLSearchParams(search);
  const ctx = { ...session, failed: () => (viewFailed = true) };
  for (const [pattern, view] of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    clear(main);
    cleanup = view(ctx, m, query) ?? null;
    for (const a of nav.querySelectorAll('a')) {
      const section = a.getAttribute('href').split('/')[1];
      a.toggleAttribute('aria-current', (path.split('/')[1] || 'events') === section);
      if (a.hasAttribute('aria-current')) a.setAttribute('aria-current', 'page');
    }
    // Focus moves to the new page's content so keyboard and screen-reader users start there.
    if (focus && lastRoute !== null && lastRoute !== path) main.focus({ preventScroll: false });
    lastRoute = path;
    return;
  }
  clear(main).append(h('h1', {}, t('app.notFound')), h('p', {}, h('a', { href: '#/events' }, t('app.backToWall'))));
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  session?.live.stop();
  session?.sites.stop();
  session = null;
  cleanup?.();
  cleanup = null;
  nav.hidden = true;
  signOutButton.hidden = true;
  who.textContent = '';
  showLive('');
  reachable = true;
  showOffline();
  clearInterval(probe);
  probe = null;
  flash.hidden = true;
  showSignIn(message);
}

function showSignIn(messageKey) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const problem = h('div', { class: 'problem' }, messageKey ? errorBox(t(messageKey)) : null);
  // method=post: should the script ever fail to catch the submit, the token still stays out of the URL.
  const form = h(
    'form',
    { class: 'signin card', method: 'post' },
    h('h1', {}, t('signin.title')),
    h('p', {}, t('signin.help')),
    h('div', { class: 'field' }, h('label', { for: 'token' }, t('signin.token')), input),
    h('button', { type: 'submit', class: 'primary' }, t('signin.submit')),
    problem,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(problem);
    const token = input.value.trim();
    if (!token) return;
    try {
      await start(token);
    } catch (err) {
      problem.append(errorBox(err.status === 401 ? t('signin.rejected') : err.code === 'GW_NETWORK' ? t('signin.unreachable') : t('signin.failed', { message: err.message })));
      input.focus();
    }
  });
  clear(main).append(form);
  signInShown = messageKey ?? '';
  input.focus();
}
let signInShown = null;

function showLive(s) {
  liveStatus = s;
  live.textContent = s && s !== 'unauthorized' ? t(`live.${s}`) : '';
  live.dataset.status = s;
}

function showOffline() {
  const down = session !== null && (!reachable || liveStatus === 'reconnecting');
  offline.hidden = !down;
  offline.textContent = down ? t('offline.banner') : '';
  document.body.classList.toggle('is-offline', down);
}

/** Called on every API answer or network failure and every stream status. */
function connectivity() {
  const wasDown = !offline.hidden;
  showOffline();
  const down = !offline.hidden;
  // While unreachable, ask the gateway every few seconds: its answer ends the offline state
  // even when nothing else is loading, and the page that failed is drawn again.
  if (down && !probe && session) probe = setInterval(() => session?.api.get('/api/me').catch(() => {}), PROBE_MS);
  if (!down && probe) (clearInterval(probe), (probe = null));
  if (wasDown && !down && viewFailed) route({ focus: false });
}
const PROBE_MS = 3000;
let probe = null;

async function start(token) {
  let signedIn = false;
  const expired = () => {
    // A wrong token at sign-in is the form's error, not "no longer accepted".
    if (signedIn) signOut('signin.expired');
  };
  const api = createApi(token, {
    onUnauthorized: expired,
    onReachable: (ok) => {
      reachable = ok;
      connectivity();
    },
  });
  const me = await api.get('/api/me');
  signedIn = true;
  sessionStorage.setItem(TOKEN_KEY, token);
  const liveEvents = createLiveEvents(api, {
    onStatus: (s) => {
      showLive(s);
      if (s === 'live') reachable = true;
      connectivity();
    },
    onUnauthorized: expired,
  });
  liveEvents.subscribe(({ message }) => {
    if (message && message.event.severity === 'critical' && (message.type === 'raised' || message.type === 'escalated')) alertCritical(message.event);
  });
  // Units, HJ 212 factor names and Chinese rule titles: wanted by every page, small, loaded once.
  await Promise.all([
    api.get('/api/metrics').then((b) => setMetricUnits(b.metrics)),
    api.get('/api/hj212/factors').then((b) => setFactors(b.factors)),
    api.get('/api/rules').then((b) => setRuleTitles(b.rules)),
  ].map((p) => p.catch(() => {})));
  const sites = createSiteDirectory(api);
  session = { api, me, live: liveEvents, sites };
  nav.hidden = false;
  navUsers.hidden = me.role !== 'admin';
  navVisits.hidden = me.role !== 'inspector';
  signOutButton.hidden = false;
  translateStatic();
  route();
}

// Unseen critical events: the banner stays until each is opened or marked seen.
const unseen = new Map();
let flashFrame = 0;
function alertCritical(e) {
  unseen.set(e.id, e);
  // One redraw and one tone per frame however many arrive: during a burst this runs for
  // every event, and reading layout here (the old animation restart) cost a full reflow each.
  if (flashFrame) return;
  flashFrame = requestAnimationFrame(() => {
    flashFrame = 0;
    drawFlash();
    // The pulse restarts with the tone (at most every few seconds), not with every event.
    if (beep()) {
      flash.classList.remove('pulse');
      requestAnimationFrame(() => flash.classList.add('pulse'));
    }
  });
}

function drawFlash() {
  const list = [...unseen.values()];
  const e = list.at(-1);
  flash.hidden = !e;
  if (!e) return clear(flash);
  const siteName = session?.sites.get(e.site)?.name ?? e.site;
  clear(flash).append(
    ...[
      h('strong', {}, t('banner.critical')),
      h('a', { href: `#/events/${e.id}` }, eventTitle(e)),
      h('span', {}, ` ${t('banner.at', { site: siteName })} / ${e.device}`),
      list.length > 1 ? h('span', { class: 'more' }, t('banner.more', { n: list.length - 1 })) : null,
      h('button', { type: 'button', class: 'seen', onclick: () => (unseen.clear(), drawFlash()) }, t('banner.seen')),
    ].filter(Boolean),
  );
}

let audio = null;
let lastBeep = 0;
/** Two short tones, at most every few seconds (true when it sounded); browsers allow sound after the sign-in click. */
function beep() {
  if (Date.now() - lastBeep < 3000) return false;
  lastBeep = Date.now();
  try {
    audio ??= new AudioContext();
    for (const [i, freq] of [880, 660].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      gain.gain.value = 0.08;
      osc.frequency.value = freq;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + i * 0.2);
      osc.stop(audio.currentTime + i * 0.2 + 0.15);
    }
  } catch {
    // No audio device: the banner is the alert.
  }
  return true;
}

signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => {
  const m = /^#\/events\/([\w-]+)/.exec(location.hash);
  if (m && unseen.delete(m[1])) drawFlash();
  route();
});
langSelect.addEventListener('change', () => setLocale(langSelect.value));
onLocaleChange(() => {
  translateStatic();
  drawFlash();
  if (session) route({ focus: false });
  else showSignIn(signInShown || undefined);
});

translateStatic();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved).catch(() => signOut('signin.again'));
else showSignIn();
