// The catalogue browser's page: plain modern JavaScript, no build step, no third-party code.
// Everything shown comes from the model or from object keys, so it is untrusted: it is only ever set as text
// (textContent, attributes), never parsed as HTML.

const PAGE_SIZE = 24;
const BOX_COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#0f9fa8', '#c2185b', '#7a6b00'];

const $ = (id) => document.getElementById(id);
const els = {
  form: $('filters'),
  q: $('q'),
  category: $('category'),
  status: $('status'),
  summary: $('summary'),
  error: $('error'),
  results: $('results'),
  more: $('more'),
  dialog: $('detail'),
  close: $('close'),
  stage: $('stage'),
  img: $('detail-img'),
  boxes: $('boxes'),
  noImage: $('no-image'),
  showBoxes: $('show-boxes'),
  title: $('detail-title'),
  dStatus: $('detail-status'),
  dCategory: $('detail-category'),
  reason: $('detail-reason'),
  sensitive: $('detail-sensitive'),
  key: $('detail-key'),
  image: $('detail-image'),
  updated: $('detail-updated'),
  labels: $('labels'),
  text: $('detail-text'),
  described: $('detail-described'),
};

/** The list being shown: its filters, the cursor of the next page, and a generation to drop stale answers. */
const state = {
  filters: { q: '', category: '', status: 'catalogued' },
  cursor: undefined,
  shown: 0,
  scanned: 0,
  generation: 0,
};
let opener = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== undefined && child !== null) node.append(child);
  }
  return node;
}

async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const qs = query.toString();
  const response = await fetch(`api/${path}${qs ? `?${qs}` : ''}`, { headers: { accept: 'application/json' } });
  // The deployed sign-in answers 401 once the session has ended: reload, and the edge shows its sign-in page.
  if (response.status === 401) {
    location.reload();
    throw new Error('your session has ended; sign in again');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `${response.status} ${response.statusText}`);
  return body;
}

function showError(error) {
  els.error.hidden = !error;
  els.error.textContent = error ? `Something went wrong: ${error.message}` : '';
}

const numberFormat = new Intl.NumberFormat();
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function describeCount() {
  const { q, category, status } = state.filters;
  const what = status === 'catalogued' ? 'image' : `${status} item`;
  const n = state.shown;
  let text = `${numberFormat.format(n)} ${what}${n === 1 ? '' : 's'}`;
  if (category) text += ` in “${category}”`;
  if (q) text += ` matching “${q}” (${numberFormat.format(state.scanned)} searched)`;
  text += state.cursor ? ', newest first; more below.' : n === 0 ? '.' : ', newest first.';
  if (n === 0 && !state.cursor) text = q || category ? `No ${what}s match.` : `No ${what}s yet.`;
  return text;
}

// ---- the grid -------------------------------------------------------------------------------------------------

function card(item) {
  const href = `#item=${encodeURIComponent(item.id)}`;
  const label = item.summary ?? item.reason ?? item.key;
  let thumb;
  if (item.thumbnailUrl) {
    thumb = el('img', {
      src: item.thumbnailUrl,
      alt: item.summary ?? '',
      loading: 'lazy',
      decoding: 'async',
      width: item.width,
      height: item.height,
    });
  } else {
    const text = item.status === 'rejected' ? 'Rejected' : item.status === 'removed' ? 'Removed' : 'No thumbnail';
    thumb = el('span', { class: 'placeholder', 'aria-hidden': 'true' }, text);
  }
  const meta = el('span', { class: 'meta' });
  if (item.category) meta.append(el('span', { class: 'chip category' }, item.category));
  if (item.status !== 'catalogued') meta.append(el('span', { class: `chip status-${item.status}` }, item.status));
  if (item.sensitive?.verdict === 'sensitive') meta.append(el('span', { class: 'chip sensitive' }, 'sensitive'));
  const caption = el('span', { class: 'caption' }, label);
  const name = el('span', { class: 'key' }, item.key);
  const link = el(
    'a',
    { class: 'card', href, 'data-id': item.id },
    el('span', { class: 'thumb' }, thumb),
    meta,
    caption,
    name,
  );
  return el('li', {}, link);
}

async function loadPage(reset) {
  const generation = reset ? ++state.generation : state.generation;
  const { q, category, status } = state.filters;
  els.more.disabled = true;
  els.results.setAttribute('aria-busy', 'true');
  if (reset) els.summary.textContent = 'Loading…';
  try {
    const page = await api('items', {
      limit: PAGE_SIZE,
      q,
      category,
      status,
      cursor: reset ? undefined : state.cursor,
    });
    if (generation !== state.generation) return; // the filters changed while this page was on its way
    if (reset) {
      els.results.replaceChildren();
      state.shown = 0;
      state.scanned = 0;
    }
    els.results.append(...page.items.map(card));
    state.shown += page.items.length;
    state.scanned += page.scanned;
    state.cursor = page.cursor;
    els.more.hidden = !page.cursor;
    els.more.textContent = page.budgetSpent && page.items.length < PAGE_SIZE ? 'Keep searching' : 'Load more';
    els.summary.textContent = describeCount();
    showError(null);
  } catch (error) {
    if (generation === state.generation) {
      showError(error);
      els.summary.textContent = '';
    }
  } finally {
    els.more.disabled = false;
    els.results.removeAttribute('aria-busy');
  }
}

async function loadCategories() {
  try {
    const { categories, complete } = await api('categories');
    const current = state.filters.category;
    const options = [el('option', { value: '' }, 'All categories')];
    for (const c of categories) {
      // Incomplete counts (the count stopped at its budget) are lower bounds.
      const count = `${numberFormat.format(c.count)}${complete ? '' : '+'}`;
      options.push(el('option', { value: c.name }, `${c.name} (${count})`));
    }
    if (current && !categories.some((c) => c.name === current)) options.push(el('option', { value: current }, current));
    els.category.replaceChildren(...options);
    els.category.value = current;
  } catch (error) {
    showError(error);
  }
}

// ---- filters and the address bar ------------------------------------------------------------------------------

function readFiltersFromUrl() {
  const params = new URLSearchParams(location.search);
  const status = params.get('status');
  state.filters = {
    q: (params.get('q') ?? '').trim(),
    category: (params.get('category') ?? '').trim().toLowerCase(),
    status: ['catalogued', 'rejected', 'removed'].includes(status) ? status : 'catalogued',
  };
  els.q.value = state.filters.q;
  els.status.value = state.filters.status;
  if (![...els.category.options].some((o) => o.value === state.filters.category)) {
    els.category.append(el('option', { value: state.filters.category }, state.filters.category));
  }
  els.category.value = state.filters.category;
}

function applyFilters() {
  state.filters = { q: els.q.value.trim(), category: els.category.value, status: els.status.value };
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(state.filters)) {
    if (value && !(name === 'status' && value === 'catalogued')) params.set(name, value);
  }
  const qs = params.toString();
  history.pushState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}`);
  state.cursor = undefined;
  loadPage(true);
}

// ---- the detail view ------------------------------------------------------------------------------------------

function pct(n) {
  return `${(n * 100).toFixed(3)}%`;
}

function drawBoxes(labels) {
  els.boxes.replaceChildren();
  els.labels.replaceChildren();
  labels.forEach((label, i) => {
    const colour = BOX_COLOURS[i % BOX_COLOURS.length];
    const { left, top, width, height } = label.box;
    const box = el(
      'div',
      { class: 'box', 'data-index': i, title: label.name },
      el('span', { class: 'tag' }, label.name),
    );
    box.style.left = pct(left);
    box.style.top = pct(top);
    box.style.width = pct(width);
    box.style.height = pct(height);
    box.style.setProperty('--colour', colour);
    els.boxes.append(box);

    const px = label.boxPx;
    const where = px
      ? `${Math.round(px.width)}×${Math.round(px.height)} px at ${Math.round(px.left)}, ${Math.round(px.top)}`
      : '';
    const item = el(
      'li',
      { tabindex: '0', 'data-index': i },
      el('span', { class: 'swatch', 'aria-hidden': 'true' }),
      el('span', { class: 'name' }, label.name),
      el('span', { class: 'where' }, where),
    );
    item.style.setProperty('--colour', colour);
    const highlight = (on) => box.classList.toggle('active', on);
    for (const [type, on] of [
      ['mouseenter', true],
      ['mouseleave', false],
      ['focus', true],
      ['blur', false],
    ]) {
      item.addEventListener(type, () => highlight(on));
    }
    els.labels.append(item);
  });
  if (labels.length === 0) els.labels.append(el('li', { class: 'none' }, 'No labelled objects.'));
}

function fillDetail(item) {
  els.title.textContent = item.summary ?? (item.status === 'rejected' ? 'Not catalogued' : 'Removed from the bucket');
  els.dStatus.textContent = item.status;
  els.dStatus.className = `chip status-${item.status}`;
  els.dCategory.textContent = item.category ?? '';
  els.dCategory.hidden = !item.category;
  els.reason.hidden = item.status !== 'rejected';
  els.reason.textContent =
    item.status === 'rejected' ? `Rejected: ${item.reason ?? 'no reason given'} (${item.reasonCode ?? 'unknown'})` : '';
  els.sensitive.textContent = item.sensitive
    ? `${item.sensitive.verdict === 'sensitive' ? 'Sensitive' : 'Not sensitive'}: ${item.sensitive.reason}`
    : '—';
  els.sensitive.className = item.sensitive?.verdict === 'sensitive' ? 'sensitive-text' : '';
  els.key.textContent = `${item.bucket}/${item.key}`;
  const facts = item.image;
  els.image.textContent = facts
    ? `${facts.width}×${facts.height} ${facts.format.toUpperCase()}, ${numberFormat.format(Math.round(facts.bytes / 1024))} KB`
    : '—';
  els.updated.textContent = dateFormat.format(new Date(item.updatedAt));
  els.text.textContent = item.text || 'None.';
  els.text.classList.toggle('empty', !item.text);
  drawBoxes(item.labels ?? []);
  els.described.hidden = item.status !== 'catalogued';

  const src = item.imageUrl ?? item.thumbnailUrl;
  els.stage.hidden = !src;
  els.noImage.hidden = Boolean(src);
  els.noImage.textContent =
    item.status === 'rejected' ? 'No preview: the object is not a usable image.' : 'No preview.';
  els.showBoxes.parentElement.hidden = !src || (item.labels ?? []).length === 0;
  els.img.alt = item.summary ?? '';
  els.img.onerror = () => {
    // Fall back to the thumbnail when the original cannot be shown; the boxes are normalised, so they still fit.
    if (item.thumbnailUrl && els.img.src !== item.thumbnailUrl) els.img.src = item.thumbnailUrl;
  };
  if (src) els.img.src = src;
  else els.img.removeAttribute('src');
}

async function openDetail(id) {
  const includeRemoved = state.filters.status === 'removed' ? 'true' : undefined;
  try {
    const item = await api(`items/${encodeURIComponent(id)}`, { includeRemoved });
    fillDetail(item);
    if (!els.dialog.open) els.dialog.showModal();
    els.close.focus();
    showError(null);
  } catch (error) {
    showError(error);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }
}

function detailIdFromHash() {
  const match = /^#item=(.+)$/.exec(location.hash);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

function syncDetailWithHash() {
  const id = detailIdFromHash();
  if (id) openDetail(id);
  else if (els.dialog.open) els.dialog.close();
}

// ---- wiring ---------------------------------------------------------------------------------------------------

els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  applyFilters();
});
els.category.addEventListener('change', applyFilters);
els.status.addEventListener('change', applyFilters);
els.more.addEventListener('click', () => loadPage(false));
els.results.addEventListener('click', (event) => {
  const link = event.target.closest('a.card');
  if (link) opener = link;
});
els.close.addEventListener('click', () => els.dialog.close());
els.dialog.addEventListener('click', (event) => {
  if (event.target === els.dialog) els.dialog.close(); // a click on the backdrop
});
els.dialog.addEventListener('close', () => {
  if (detailIdFromHash()) history.replaceState(null, '', `${location.pathname}${location.search}`);
  opener?.focus();
});
els.showBoxes.addEventListener('change', () => {
  els.boxes.hidden = !els.showBoxes.checked;
});
window.addEventListener('hashchange', syncDetailWithHash);
window.addEventListener('popstate', () => {
  const before = JSON.stringify(state.filters);
  readFiltersFromUrl();
  if (JSON.stringify(state.filters) !== before) loadPage(true);
});

/** Behind the deployed sign-in, /auth/me names the viewer and the page offers a sign-out; locally there is none. */
async function showAccount() {
  const response = await fetch('auth/me', { headers: { accept: 'application/json' } }).catch(() => undefined);
  if (!response?.ok) return;
  const me = await response.json().catch(() => ({}));
  $('who').textContent = me.email ?? me.name ?? 'Signed in';
  $('account').hidden = false;
}

readFiltersFromUrl();
showAccount();
loadCategories();
loadPage(true).then(syncDetailWithHash);
