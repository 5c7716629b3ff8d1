// Evidence pictures on the event page: each picture the gateway kept for the event's
// detections, drawn on a canvas with the detection boxes over it. The picture is fetched with
// the signed-in token (an <img> could not send it) and drawn from an ImageBitmap, so the
// console's CSP needs no blob: or data: images.
import { fmtTime, h } from '../dom.js';
import { addMessages, fmtNumber, t } from '../i18n.js';

addMessages({
  'zh-CN': {
    'evidence.pictures': '证据图片',
    'evidence.alt': '证据图片 {hash}，框出 {n} 处识别结果',
    'evidence.caption': '{time} · 置信度 {confidence} %',
    'evidence.zones': '区域：{zones}',
    'evidence.hash': 'SHA-256：{hash}',
    'evidence.loading': '图片加载中…',
    'evidence.failed': '图片无法加载：{message}',
    'evidence.more': '另有 {n} 张图片未显示',
  },
  en: {
    'evidence.pictures': 'Evidence pictures',
    'evidence.alt': 'Evidence picture {hash} with {n} detection boxes',
    'evidence.caption': '{time} · confidence {confidence} %',
    'evidence.zones': 'Zones: {zones}',
    'evidence.hash': 'SHA-256: {hash}',
    'evidence.loading': 'Loading the picture…',
    'evidence.failed': 'The picture could not be loaded: {message}',
    'evidence.more': '{n} more pictures not shown',
  },
});

const MAX_PICTURES = 6;

/** The pictures section of an event, or null when no detection of it carried a picture. */
export function evidencePictures(api, evidence) {
  const byHash = new Map();
  for (const ev of evidence ?? []) {
    if (typeof ev.picture !== 'string' || !/^[0-9a-f]{64}$/.test(ev.picture)) continue;
    if (!byHash.has(ev.picture)) byHash.set(ev.picture, []);
    byHash.get(ev.picture).push(ev);
  }
  if (byHash.size === 0) return null;
  const hashes = [...byHash.keys()].slice(-MAX_PICTURES);
  return h(
    'section',
    { 'aria-labelledby': 'h-pictures', class: 'evidence-pictures' },
    h('h2', { id: 'h-pictures' }, t('evidence.pictures')),
    ...hashes.map((hash) => figure(api, hash, byHash.get(hash))),
    byHash.size > MAX_PICTURES ? h('p', { class: 'small muted' }, t('evidence.more', { n: byHash.size - MAX_PICTURES })) : null,
  );
}

function figure(api, hash, detections) {
  const canvas = h('canvas', { role: 'img', 'aria-label': t('evidence.alt', { hash: hash.slice(0, 12), n: detections.filter((d) => d.bbox).length }), dataset: { picture: hash } });
  // Set through the CSSOM: the console's CSP allows no inline style attributes.
  canvas.style.maxWidth = '100%';
  canvas.style.height = 'auto';
  const note = h('p', { class: 'small muted' }, t('evidence.loading'));
  const last = detections[detections.length - 1];
  const fig = h(
    'figure',
    { class: 'card' },
    canvas,
    h(
      'figcaption',
      {},
      h('div', {}, t('evidence.caption', { time: fmtTime(last.ts), confidence: fmtNumber(last.confidence * 100, 0) })),
      last.zones?.length ? h('div', { class: 'small' }, t('evidence.zones', { zones: last.zones.join(', ') })) : null,
      h('div', { class: 'small muted' }, t('evidence.hash', { hash })),
      note,
    ),
  );
  draw(api, hash, detections, canvas).then(
    () => note.remove(),
    (err) => (note.textContent = t('evidence.failed', { message: err.message })),
  );
  return fig;
}

async function draw(api, hash, detections, canvas) {
  const res = await fetch(`/api/evidence/${hash}`, { headers: { authorization: `Bearer ${api.token}` }, cache: 'force-cache' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const bitmap = await createImageBitmap(await res.blob());
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const g = canvas.getContext('2d');
  g.drawImage(bitmap, 0, 0);
  bitmap.close?.();
  // Boxes are [x, y, width, height] in the picture's pixels, as the detections sent them.
  const line = Math.max(2, Math.round(Math.min(canvas.width, canvas.height) / 150));
  g.lineWidth = line;
  g.font = `${Math.max(12, line * 6)}px sans-serif`;
  for (const d of detections) {
    if (!Array.isArray(d.bbox)) continue;
    const [x, y, w, bh] = d.bbox;
    g.strokeStyle = '#ff2d2d';
    g.strokeRect(x, y, w, bh);
    const text = `${fmtNumber(d.confidence * 100, 0)} %`;
    g.fillStyle = '#ff2d2d';
    g.fillRect(x, Math.max(0, y - line * 8), g.measureText(text).width + line * 2, line * 8);
    g.fillStyle = '#fff';
    g.fillText(text, x + line, Math.max(line * 6, y - line * 2));
  }
}
