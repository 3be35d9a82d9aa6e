/**
 * The element's shadow styles. Adopted as a constructed stylesheet where the
 * browser can (CSSOM is not subject to the embedding page's CSP style-src),
 * else a <style> element.
 */
export const PLAYER_CSS = `
:host { display: block; position: relative; overflow: hidden; background: #000; color: #fff; aspect-ratio: 16 / 9;
        font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; contain: content; outline: none; }
:host([hidden]) { display: none; }
:host(:focus-visible) { box-shadow: 0 0 0 2px #6cb4ff; }
video { display: block; width: 100%; height: 100%; object-fit: contain; background: #000; }
button { font: inherit; color: inherit; cursor: pointer; border: 0; }
.live { position: absolute; top: 10px; right: 10px; padding: 2px 8px 2px 7px; border-radius: 3px; background: #d32f2f;
        font-size: 12px; font-weight: 700; letter-spacing: .06em; }
.live::before { content: ""; display: inline-block; width: 7px; height: 7px; margin-right: 5px; border-radius: 50%; background: #fff; vertical-align: 1px; }
.live.behind { background: rgba(90, 90, 90, .85); }
.live.behind::before { background: #bbb; }
.stats { position: absolute; top: 10px; left: 10px; margin: 0; padding: 6px 10px; border-radius: 4px; background: rgba(0, 0, 0, .65);
         font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre; pointer-events: none; }
.unmute { position: absolute; left: 10px; bottom: 52px; padding: 6px 12px 6px 34px; border-radius: 4px; background: rgba(0, 0, 0, .7); }
/* A muted speaker, drawn: no icon font or emoji to depend on. */
.unmute::before { content: ""; position: absolute; left: 12px; top: 50%; width: 4px; height: 6px; margin-top: -3px; background: #fff; }
.unmute::after { content: ""; position: absolute; left: 12px; top: 50%; margin-top: -7px; border-style: solid; border-width: 7px 9px 7px 0;
                 border-color: transparent #fff transparent transparent; }
.unmute:hover, .play:hover { background: rgba(30, 30, 30, .9); }
.play { position: absolute; inset: 0; margin: auto; width: 76px; height: 76px; border-radius: 50%; background: rgba(0, 0, 0, .65); }
.play::after { content: ""; position: absolute; left: 30px; top: 22px; border-style: solid; border-width: 16px 0 16px 26px; border-color: transparent transparent transparent #fff; }
.spinner { position: absolute; inset: 0; margin: auto; width: 44px; height: 44px; border-radius: 50%; border: 4px solid rgba(255, 255, 255, .25);
           border-top-color: #fff; animation: spin 1s linear infinite, appear 0s .6s both; pointer-events: none; }
@keyframes spin { to { transform: rotate(360deg); } }
@keyframes appear { from { visibility: hidden; } to { visibility: visible; } }
.message { position: absolute; left: 0; right: 0; bottom: 0; padding: 10px 14px; background: rgba(0, 0, 0, .75); color: #fbb; }
[hidden] { display: none !important; }
`;
