// User management for admins: who may use the console with which role and sites; add a user
// (the token is shown once) and disable one.
import { clear, errorBox, fmtTime, h, select } from '../dom.js';
import { label, t } from '../i18n.js';

const ROLES = ['viewer', 'operator', 'supervisor', 'admin'];

export function renderUsers(main, { api, me, sites, failed }) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  const notice = h('div', { role: 'status' });
  main.append(h('h1', {}, t('users.title')), notice, box);
  if (me.role !== 'admin') {
    clear(box).append(errorBox(t('event.cannot', { role: label('role', me.role), state: '' })));
    return null;
  }
  let gone = false;

  async function load() {
    let users;
    try {
      ({ users } = await api.get('/api/users'));
    } catch (err) {
      failed();
      clear(box).append(errorBox(t('users.loadFailed', { message: err.message })));
      return;
    }
    if (gone) return;
    const cols = ['name', 'role', 'sites', 'created', 'actions'];
    const cell = (col, ...content) => h('td', { dataset: { label: t(`users.col.${col}`) } }, ...content);
    clear(box).append(
      form(),
      h(
        'table',
        { class: 'plain users cards' },
        h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, t(`users.col.${c}`))))),
        h(
          'tbody',
          {},
          ...users.map((u) =>
            h(
              'tr',
              { dataset: { user: u.name }, class: u.disabled ? 'disabled' : null },
              cell('name', h('strong', {}, u.name)),
              cell('role', label('role', u.role)),
              cell('sites', u.sites ? u.sites.map((s) => sites.get(s)?.name ?? s).join('、') : t('users.allSites')),
              cell('created', fmtTime(u.createdAt)),
              cell(
                'actions',
                u.disabled
                  ? t('users.disabled')
                  : h('button', { type: 'button', onclick: () => disable(u), disabled: u.name === me.user }, t('users.disable')),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function disable(u) {
    clear(notice);
    try {
      await api.del(`/api/users/${encodeURIComponent(u.id)}`);
      load();
    } catch (err) {
      notice.append(errorBox(t('users.failed', { message: err.message })));
    }
  }

  function form() {
    const name = h('input', { id: 'u-name', name: 'name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9][A-Za-z0-9._-]*' });
    const sitesField = h('input', { id: 'u-sites', name: 'sites', autocomplete: 'off', 'aria-describedby': 'u-sites-help' });
    let role = 'viewer';
    const problem = h('div');
    const f = h(
      'form',
      { class: 'filters card', 'aria-label': t('users.add') },
      h('div', { class: 'field' }, h('label', { for: 'u-name' }, t('users.name')), name),
      select('u-role', t('users.role'), ROLES.map((r) => [r, label('role', r)]), role, (ev) => (role = ev.target.value)),
      h('div', { class: 'field' }, h('label', { for: 'u-sites' }, t('users.sites')), sitesField, h('span', { id: 'u-sites-help', class: 'small muted' }, t('users.sitesHelp'))),
      h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit', class: 'primary' }, t('users.add'))),
      problem,
    );
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clear(problem);
      const list = sitesField.value.split(/[,，、\s]+/).filter(Boolean);
      try {
        const r = await api.post('/api/users', { name: name.value.trim(), role, ...(list.length ? { sites: list } : {}) });
        clear(notice).append(h('p', { class: 'notice' }, t('users.created', { name: r.user.name, token: '' }), h('code', { class: 'token' }, r.token)));
        load();
      } catch (err) {
        problem.append(errorBox(t('users.failed', { message: err.message })));
      }
    });
    return f;
  }

  load();
  return () => (gone = true);
}
