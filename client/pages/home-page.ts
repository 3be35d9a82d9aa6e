/**
 * The home page refreshes its stream cards every 2 s by fetching itself and
 * copying over what changed: the server renders every card, so there is one
 * rendering of a stream, not a second one here. Fields marked data-field are
 * updated in place; a thumbnail is swapped only once the new picture has
 * loaded (no flash), and at most every THUMBNAIL_REFRESH_MS, so an open home
 * page costs the server at most one snapshot decode per stream per interval.
 */
const REFRESH_MS = 2000;
const THUMBNAIL_REFRESH_MS = 5000;

const thumbnailSwappedAt = new Map<string, number>();

function updateThumbnail(stream: string, current: Element, fresh: Element): void {
  if (current.tagName !== fresh.tagName) {
    current.replaceWith(fresh);
    return;
  }
  const src = fresh.getAttribute('src');
  if (current.tagName !== 'IMG' || !src || current.getAttribute('src') === src) return;
  const now = Date.now();
  if (now - (thumbnailSwappedAt.get(stream) ?? 0) < THUMBNAIL_REFRESH_MS) return;
  thumbnailSwappedAt.set(stream, now);
  const next = new Image();
  next.onload = () => current.setAttribute('src', src);
  next.src = src;
}

function updateCard(current: Element, fresh: Element): void {
  const stream = current.getAttribute('data-stream') ?? '';
  for (const field of fresh.querySelectorAll('[data-field]')) {
    const name = field.getAttribute('data-field');
    const target = current.querySelector(`[data-field="${name}"]`);
    if (!target) continue;
    if (name === 'thumb') updateThumbnail(stream, target, field);
    else if (target.innerHTML !== field.innerHTML || target.className !== field.className) target.replaceWith(field.cloneNode(true));
  }
}

async function refresh(): Promise<void> {
  try {
    const response = await fetch(location.pathname, { cache: 'no-store' });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('#streams');
    const current = document.querySelector('#streams');
    if (!fresh || !current) return;
    const names = (root: Element): string => [...root.querySelectorAll('[data-stream]')].map((card) => card.getAttribute('data-stream')).join(',');
    // Streams added or removed: take the new list whole.
    if (names(fresh) !== names(current)) {
      current.replaceWith(fresh);
      return;
    }
    for (const card of fresh.querySelectorAll('[data-stream]')) {
      const mine = current.querySelector(`[data-stream="${card.getAttribute('data-stream')}"]`);
      if (mine) updateCard(mine, card);
    }
  } catch {
    // The server may be restarting; the next tick tries again.
  }
}

setInterval(() => void refresh(), REFRESH_MS);
