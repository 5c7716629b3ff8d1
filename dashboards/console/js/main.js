// Entry point: sign-in with an API token (kept in sessionStorage, never in the URL), the
// hash router, and the alert for new critical events.
import { createApi } from './api.js';
import { clear, errorBox, h } from './dom.js';
import { createLiveEvents } from './live.js';
import { renderCharts } from './views/charts.js';
import { renderEvent } from './views/event.js';
import { renderSite } from './views/site.js';
import { renderSites } from './views/sites.js';
import { renderWall } from './views/wall.js';

const TOKEN_KEY = 'gw.console.token';
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const live = document.getElementById('live');
const flash = document.getElementById('flash');
const signOutButton = document.getElementById('sign-out');

let session = null;
let cleanup = null;

const ROUTES = [
  [/^#?\/?(?:events)?$/, (ctx) => renderWall(main, ctx)],
  [/^#\/events\/([\w-]+)$/, (ctx, m) => renderEvent(main, ctx, m[1])],
  [/^#\/sites$/, (ctx) => renderSites(main, ctx)],
  [/^#\/sites\/([\w.-]+)$/, (ctx, m) => renderSite(main, ctx, m[1])],
  [/^#\/charts$/, (ctx, _m, query) => renderCharts(main, ctx, query)],
];

function route() {
  if (!session) return;
  cleanup?.();
  cleanup = null;
  const [path, search = ''] = location.hash.split('?');
  const query = new URLSearchParams(search);
  for (const [pattern, view] of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    clear(main);
    cleanup = view(session, m, query) ?? null;
    for (const a of nav.querySelectorAll('a')) {
      const section = a.getAttribute('href').split('/')[1];
      a.toggleAttribute('aria-current', (path.split('/')[1] || 'events') === section);
    }
    return;
  }
  clear(main).append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/events' }, 'Back to the event wall')));
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  session?.live.stop();
  session = null;
  cleanup?.();
  cleanup = null;
  nav.hidden = true;
  signOutButton.hidden = true;
  who.textContent = '';
  live.textContent = '';
  showSignIn(message);
}

function showSignIn(message) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const problem = h('div', { class: 'problem' }, message ? errorBox(message) : null);
  // method=post: should the script ever fail to catch the submit, the token still stays out of the URL.
  const form = h(
    'form',
    { class: 'signin card', method: 'post' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste your API token. It stays in this browser tab only and is forgotten when the tab closes.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
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
      problem.append(errorBox(err.status === 401 ? 'That token was not accepted.' : `Sign-in failed: ${err.message}`));
    }
  });
  clear(main).append(form);
  input.focus();
}

async function start(token) {
  const api = createApi(token, { onUnauthorized: () => signOut('Your token is no longer accepted; sign in again.') });
  const me = await api.get('/api/me');
  sessionStorage.setItem(TOKEN_KEY, token);
  const liveEvents = createLiveEvents(api, {
    onStatus: (s) => {
      live.textContent = { connecting: 'Connecting…', live: '● Live', reconnecting: 'Reconnecting…', unauthorized: '' }[s] ?? s;
      live.dataset.status = s;
    },
    onUnauthorized: () => signOut('Your token is no longer accepted; sign in again.'),
  });
  liveEvents.subscribe(({ message }) => {
    if (message && message.event.severity === 'critical' && (message.type === 'raised' || message.type === 'escalated')) alertCritical(message);
  });
  session = { api, me, live: liveEvents };
  nav.hidden = false;
  signOutButton.hidden = false;
  who.textContent = `${me.user} (${me.role})`;
  route();
}

let flashTimer = null;
function alertCritical(message) {
  const e = message.event;
  clear(flash).append(
    h('strong', {}, 'New critical event: '),
    h('a', { href: `#/events/${e.id}` }, e.title),
    ` at ${e.site} / ${e.device}`,
    h('button', { type: 'button', class: 'link', onclick: () => (flash.hidden = true) }, 'Dismiss'),
  );
  flash.hidden = false;
  flash.classList.remove('pulse');
  void flash.offsetWidth; // restart the animation
  flash.classList.add('pulse');
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (flash.hidden = true), 20_000);
  beep();
}

let audio = null;
/** Two short tones; browsers allow sound after the sign-in click. */
function beep() {
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
}

signOutButton.addEventListener('click', () => signOut());
window.addEventListener('hashchange', route);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved).catch(() => signOut('Sign in again.'));
else showSignIn();
