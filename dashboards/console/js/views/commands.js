// A device's commands (README "Device commands"): a supervisor sends one (name, payload, TTL)
// and follows its life — queued, delivered, replied / failed / refused / expired — which the
// page polls every 2 s while a command is still open. Operators see the list, without the form.
// A camera's snapshot reply names its picture (SHA-256): it is drawn from the evidence store.
import { qs } from '../api.js';
import { clear, errorBox, fmtTime, h } from '../dom.js';
import { addMessages, label, t } from '../i18n.js';

addMessages({
  'zh-CN': {
    'site.commands': '命令',
    'commands.title': '设备命令：{device}',
    'commands.back': '← 返回 {site}',
    'commands.send': '发送命令',
    'commands.name': '命令',
    'commands.payload': '参数（JSON 对象）',
    'commands.ttl': '有效期（秒）',
    'commands.submit': '发送',
    'commands.sending': '正在发送…',
    'commands.sent': '已发送命令 {name}，状态：{state}',
    'commands.badJson': '参数必须是 JSON 对象',
    'commands.failed': '发送失败：{message}',
    'commands.loadFailed': '命令列表无法加载：{message}',
    'commands.none': '尚未向此设备发送命令。',
    'commands.history': '命令记录',
    'commands.onlySupervisors': '只有监管人员（supervisor）可以发送命令；您可以查看命令记录。',
    'commands.col.name': '命令',
    'commands.col.state': '状态',
    'commands.col.by': '发送人',
    'commands.col.issued': '发送时间',
    'commands.col.expires': '有效期至',
    'commands.col.steps': '过程',
    'commands.col.reply': '设备答复',
    'commands.picture': '抓拍图片 SHA-256：{hash}',
    'commands.hint.camera': '摄像机：snapshot（立即抓拍，远程巡查）',
    'commands.hint.sensor': '传感器：read（立即上报读数）',
    'commands.hint.hj212': 'HJ 212 数采仪：time.read、time.set、interval.read、interval.set（参数 {"seconds": 30}）、realtime.start、realtime.stop',
    'commandState.queued': '排队中',
    'commandState.delivered': '已送达',
    'commandState.replied': '已答复',
    'commandState.failed': '执行失败',
    'commandState.refused': '设备拒绝',
    'commandState.expired': '已过期',
  },
  en: {
    'site.commands': 'Commands',
    'commands.title': 'Device commands: {device}',
    'commands.back': '← Back to {site}',
    'commands.send': 'Send a command',
    'commands.name': 'Command',
    'commands.payload': 'Parameters (a JSON object)',
    'commands.ttl': 'Valid for (seconds)',
    'commands.submit': 'Send',
    'commands.sending': 'Sending…',
    'commands.sent': 'Command {name} sent, state: {state}',
    'commands.badJson': 'The parameters must be a JSON object',
    'commands.failed': 'Not sent: {message}',
    'commands.loadFailed': 'The commands could not be loaded: {message}',
    'commands.none': 'No command has been sent to this device yet.',
    'commands.history': 'Commands',
    'commands.onlySupervisors': 'Only supervisors may send commands; you can follow them here.',
    'commands.col.name': 'Command',
    'commands.col.state': 'State',
    'commands.col.by': 'Sent by',
    'commands.col.issued': 'Sent',
    'commands.col.expires': 'Valid until',
    'commands.col.steps': 'Steps',
    'commands.col.reply': 'Reply',
    'commands.picture': 'Snapshot SHA-256: {hash}',
    'commands.hint.camera': 'Cameras: snapshot (take a picture now, remote inspection)',
    'commands.hint.sensor': 'Sensors: read (report a reading now)',
    'commands.hint.hj212': 'HJ 212 loggers: time.read, time.set, interval.read, interval.set (parameters {"seconds": 30}), realtime.start, realtime.stop',
    'commandState.queued': 'queued',
    'commandState.delivered': 'delivered',
    'commandState.replied': 'replied',
    'commandState.failed': 'failed',
    'commandState.refused': 'refused',
    'commandState.expired': 'expired',
  },
});

const FINAL = new Set(['replied', 'failed', 'refused', 'expired']);
const POLL_MS = 2000;
const NAMES = ['snapshot', 'read', 'time.read', 'time.set', 'interval.read', 'interval.set', 'realtime.start', 'realtime.stop'];

function commandState(state) {
  return h('span', { class: `badge command-${state}`, dataset: { commandState: state } }, t(`commandState.${state}`));
}

/** #/devices/:id/commands */
export function renderDeviceCommands(main, { api, sites, me, failed }, deviceId) {
  const canSend = me.role === 'supervisor' || me.role === 'admin';
  const status = h('p', { role: 'status', class: 'small' });
  const list = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  const head = h('div', {});
  const kind = h('div', {});
  const formBox = h('div', {});
  let device;
  let commands = null;
  let gone = false;
  let timer = null;

  main.append(head, h('h1', {}, t('commands.title', { device: deviceId })), kind, formBox, status, h('h2', {}, t('commands.history')), list);
  // The site directory gives the back link and the device's kind (the form's default command).
  sites.ready.then(() => {
    if (gone) return;
    const site = sites.list().find((s) => s.devices.some((d) => d.id === deviceId));
    device = site?.devices.find((d) => d.id === deviceId);
    if (site) head.append(h('p', {}, h('a', { href: `#/sites/${site.id}` }, t('commands.back', { site: site.name }))));
    if (device) kind.append(h('p', { class: 'muted' }, label('kind', device.kind)));
    formBox.append(canSend ? sendForm() : h('p', { class: 'muted' }, t('commands.onlySupervisors')));
  });

  function sendForm() {
    const name = h('input', { id: 'cmd-name', name: 'name', required: true, list: 'cmd-names', autocomplete: 'off', value: device?.kind === 'camera' ? 'snapshot' : 'read', pattern: '[a-z][a-z0-9_.\\-]{0,47}' });
    const payload = h('textarea', { id: 'cmd-payload', name: 'payload', rows: '2' });
    payload.value = '{}';
    const ttl = h('input', { id: 'cmd-ttl', name: 'ttl', type: 'number', min: '1', max: '86400', value: '300', required: true });
    const submit = h('button', { type: 'submit' }, t('commands.submit'));
    const onsubmit = async (e) => {
      e.preventDefault();
      let body;
      try {
        body = JSON.parse(payload.value || '{}');
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        status.textContent = t('commands.badJson');
        return;
      }
      submit.disabled = true;
      status.textContent = t('commands.sending');
      try {
        const c = await api.post(`/api/devices/${encodeURIComponent(deviceId)}/commands`, { name: name.value.trim(), payload: body, ttl: Number(ttl.value) });
        status.textContent = t('commands.sent', { name: c.name, state: t(`commandState.${c.state}`) });
        await load();
      } catch (err) {
        status.textContent = t('commands.failed', { message: err.message });
      } finally {
        submit.disabled = false;
      }
    };
    return h(
      'form',
      { class: 'card command-form', onsubmit },
      h('h2', {}, t('commands.send')),
      h('div', { class: 'field' }, h('label', { for: 'cmd-name' }, t('commands.name')), name, h('datalist', { id: 'cmd-names' }, ...NAMES.map((n) => h('option', { value: n })))),
      h('div', { class: 'field' }, h('label', { for: 'cmd-payload' }, t('commands.payload')), payload),
      h('div', { class: 'field' }, h('label', { for: 'cmd-ttl' }, t('commands.ttl')), ttl),
      h('ul', { class: 'small muted' }, ...['camera', 'sensor', 'hj212'].map((k) => h('li', {}, t(`commands.hint.${k}`)))),
      submit,
    );
  }

  function reply(c) {
    if (!c.reply) return h('span', { class: 'muted' }, '—');
    const r = c.reply;
    const picture = typeof r.result?.picture === 'string' && /^[0-9a-f]{64}$/.test(r.result.picture) ? r.result.picture : null;
    return h(
      'div',
      {},
      r.message ? h('div', {}, r.message) : null,
      r.result ? h('pre', { class: 'small' }, JSON.stringify(r.result, null, 1)) : null,
      picture ? snapshot(picture) : null,
    );
  }

  function snapshot(hash) {
    const canvas = h('canvas', { role: 'img', 'aria-label': t('commands.picture', { hash }), dataset: { picture: hash } });
    canvas.style.maxWidth = '320px';
    canvas.style.height = 'auto';
    fetch(`/api/evidence/${hash}`, { headers: { authorization: `Bearer ${api.token}` }, cache: 'force-cache' })
      .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(`HTTP ${res.status}`))))
      .then((blob) => createImageBitmap(blob))
      .then((bitmap) => {
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        canvas.getContext('2d').drawImage(bitmap, 0, 0);
      })
      .catch(() => canvas.replaceWith(h('span', { class: 'small muted' }, t('commands.picture', { hash }))));
    return h('figure', {}, canvas, h('figcaption', { class: 'small muted' }, t('commands.picture', { hash: hash.slice(0, 16) })));
  }

  function draw() {
    if (!commands) return;
    if (commands.length === 0) return void clear(list).append(h('p', { class: 'muted' }, t('commands.none')));
    const cell = (col, ...content) => h('td', { dataset: { label: t(`commands.col.${col}`) } }, ...content);
    clear(list).append(
      h(
        'table',
        { class: 'plain commands cards' },
        h('thead', {}, h('tr', {}, ...['name', 'state', 'by', 'issued', 'expires', 'steps', 'reply'].map((c) => h('th', { scope: 'col' }, t(`commands.col.${c}`))))),
        h(
          'tbody',
          {},
          ...commands.map((c) =>
            h(
              'tr',
              { dataset: { command: c.id, state: c.state } },
              cell('name', h('code', {}, c.name)),
              cell('state', commandState(c.state)),
              cell('by', c.by),
              cell('issued', fmtTime(c.issuedAt)),
              cell('expires', fmtTime(c.expiresAt)),
              cell('steps', h('ol', { class: 'small' }, ...c.transitions.map((s) => h('li', {}, commandState(s.state), ` ${fmtTime(s.at)}`)))),
              cell('reply', reply(c)),
            ),
          ),
        ),
      ),
    );
  }

  async function load() {
    clearTimeout(timer);
    try {
      const res = await api.get(`/api/devices/${encodeURIComponent(deviceId)}/commands${qs({ limit: 50 })}`);
      if (gone) return;
      commands = res.commands;
      draw();
    } catch (err) {
      failed();
      if (!commands) clear(list).append(errorBox(t('commands.loadFailed', { message: err.message })));
    }
    // Follow open commands live; a page with only finished ones stops asking.
    if (!gone && commands?.some((c) => !FINAL.has(c.state))) timer = setTimeout(load, POLL_MS);
  }

  load();
  return () => {
    gone = true;
    clearTimeout(timer);
  };
}
