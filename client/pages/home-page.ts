/**
 * The home page refreshes its stream table every 2 s by fetching itself and
 * swapping the table body: the server renders every row, so there is one
 * rendering of a stream, not a second one here.
 */
const REFRESH_MS = 2000;

async function refresh(): Promise<void> {
  try {
    const response = await fetch(location.pathname, { cache: 'no-store' });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('#streams tbody');
    const current = document.querySelector('#streams tbody');
    if (fresh && current && fresh.innerHTML !== current.innerHTML) current.replaceWith(fresh);
  } catch {
    // The server may be restarting; the next tick tries again.
  }
}

setInterval(() => void refresh(), REFRESH_MS);
